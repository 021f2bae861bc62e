import type { Response } from 'express';

/** Buffered bytes beyond which a client that does not keep up is dropped (it can reconnect and resume). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export interface SseStream {
  /** Writes one event; false once the stream is closed (client gone, or dropped for being too slow). */
  send(data: unknown, options?: { event?: string; id?: string | number }): boolean;
  end(): void;
  /** Resolves when the client goes away or end() was called. */
  closed: Promise<void>;
}

/**
 * Opens a server-sent events response: headers flushed, a comment every 15 s so proxies keep it open,
 * and a client whose unread output passes 8 MiB is dropped instead of buffering without bound.
 */
export function openSse(res: Response): SseStream {
  res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  let open = true;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = () => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    markClosed();
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  res.once('close', close);
  return {
    closed,
    send(data, options = {}) {
      if (!open) return false;
      let block = '';
      if (options.event) block += `event: ${options.event}\n`;
      if (options.id !== undefined) block += `id: ${options.id}\n`;
      res.write(`${block}data: ${JSON.stringify(data)}\n\n`);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        close();
        return false;
      }
      return true;
    },
    end() {
      if (!open) return;
      close();
      res.end();
    },
  };
}
