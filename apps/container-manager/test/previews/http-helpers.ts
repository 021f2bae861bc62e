import { IncomingHttpHeaders, request } from 'node:http';
import { createHash } from 'node:crypto';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** A plain node:http call, so tests can send any Host header and hop-by-hop field they like. */
export function call(port: number, path: string, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const length = options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) };
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { ...length, ...options.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Streams a response without keeping it: byte count and SHA-256. */
export function download(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; length: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const hash = createHash('sha256');
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        hash.update(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, length, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface EchoedRequest {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: { length: number; sha256: string; text: string };
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, attempts = 50): Promise<T> {
  let last = await probe();
  for (let i = 0; i < attempts && !accept(last); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}
