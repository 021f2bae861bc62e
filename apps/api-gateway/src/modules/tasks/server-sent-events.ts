import type { Readable } from 'node:stream';

/**
 * Parses a `text/event-stream` body into the JSON of each event's `data:` lines. Ends when the
 * stream ends; comments (`: keep-alive`) and events without data are skipped.
 */
export async function* parseServerSentEvents<T>(body: Readable): AsyncGenerator<T, void, undefined> {
  let buffer = '';
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let boundary: number;
    while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield JSON.parse(data) as T;
    }
  }
}
