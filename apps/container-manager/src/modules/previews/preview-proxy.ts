import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, STATUS_CODES, ServerResponse, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Dispatcher, Pool } from 'undici';
import { PreviewErrors } from '@sandbox/contracts';
import { ForwardContext, clientResponseHeaders, upstreamRequestHeaders } from './preview-headers';

export interface UpstreamAddress {
  host: string;
  port: number;
}

/** Connection-level failures that mean "the preview server is not there" (answered 502). */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
/** A kept-alive socket that turned out closed when reused ("other side closed" / reset). */
const RETRYABLE = new Set(['ECONNRESET', 'UND_ERR_SOCKET']);
const CONNECT_TIMEOUT_MS = 10_000;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Writes `{ statusCode, message }` like the global filter does, for traffic outside Nest's pipeline. */
export function sendJson(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ statusCode: status, message });
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** The same error on a raw socket (WebSocket handshakes), then the connection is closed. */
export function sendRawJson(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ statusCode: status, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function headerLines(headers: OutgoingHttpHeaders): string {
  let lines = '';
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) lines += `${name}: ${String(one)}\r\n`;
  }
  return lines;
}

/** How long an upstream pool may sit unused before its sockets are closed. */
const POOL_IDLE_MS = 60_000;

interface UpstreamPool {
  pool: Pool;
  usedAt: number;
}

/**
 * Streams HTTP requests and WebSocket connections to a sandbox. Plain HTTP goes through an undici
 * `Pool` per container address (keep-alive, `dispatch` with a handler object: no promise, no
 * IncomingMessage/ClientRequest pair per request); upgrades use node:http and are spliced. Bodies are
 * streamed in both directions with backpressure (never buffered), and every failure ends both sides:
 * an upstream reset mid-response destroys the client connection, a client abort aborts the upstream
 * request (which closes that upstream socket).
 */
@Injectable()
export class PreviewProxy implements OnModuleDestroy {
  private readonly logger = new Logger(PreviewProxy.name);
  /** Keyed by `ip:port`: a pooled socket never serves another container that later gets the address. */
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly tunnels = new Set<Duplex>();
  private readonly sweeper = setInterval(() => this.sweep(Date.now()), POOL_IDLE_MS / 2).unref();

  /** `onUnreachable` runs when the address did not answer, so the caller can drop a stale address. */
  web(req: IncomingMessage, res: ServerResponse, target: UpstreamAddress, path: string, context: ForwardContext, onUnreachable: () => void, retried = false): void {
    const handler = new ForwardHandler(this, req, res, target, path, context, onUnreachable, retried);
    const headers = upstreamRequestHeaders(req.headers, context) as Record<string, string | string[]>;
    // No promise and no stream pair per request; dispatch() reports its own validation errors through
    // the handler (onResponseError → 502), never by throwing.
    this.pool(target).dispatch({ method: req.method ?? 'GET', path, headers, body: hasBody(req) ? req : null }, handler);
  }

  /** Called by a handler whose request failed before any response was relayed (internal to this file). */
  failed(handler: ForwardHandler, error: NodeJS.ErrnoException): void {
    const { req, res, target, path, context, onUnreachable, retried } = handler;
    // A pooled connection the sandbox closed while idle: safe to try once more for requests without a body.
    if (!retried && RETRYABLE.has(error.code ?? '') && IDEMPOTENT.has(req.method ?? '') && !hasBody(req)) {
      this.web(req, res, target, path, context, onUnreachable, true);
      return;
    }
    if (CONNECT_ERRORS.has(error.code ?? '')) onUnreachable();
    this.logger.debug({ err: error, target: `${target.host}:${target.port}` }, 'preview upstream failed');
    sendJson(res, 502, PreviewErrors.upstreamFailed);
  }

  /** Relays a WebSocket (or any HTTP upgrade) handshake, then splices the two sockets together. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpstreamAddress, path: string, context: ForwardContext, onUnreachable: () => void): void {
    const client = socket as Socket;
    client.setTimeout?.(0);
    client.setNoDelay?.(true);
    client.setKeepAlive?.(true, 30_000);
    if (head.length > 0) client.unshift(head);
    const upstream = request({
      host: target.host,
      port: target.port,
      method: req.method,
      path,
      headers: upstreamRequestHeaders(req.headers, { ...context, upgrade: String(req.headers.upgrade ?? 'websocket') }),
      agent: false,
      setHost: false,
    });
    this.guardConnect(upstream);
    const abort = () => upstream.destroy();
    client.once('error', abort);
    client.once('close', abort);
    upstream.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
      client.off('error', abort);
      client.off('close', abort);
      const headers = clientResponseHeaders(upstreamRes.headers, { ...context, upgrade: String(upstreamRes.headers.upgrade ?? 'websocket') });
      client.write(`HTTP/1.1 101 ${upstreamRes.statusMessage || 'Switching Protocols'}\r\n${headerLines(headers)}\r\n`);
      if (upstreamHead.length > 0) client.write(upstreamHead);
      upstreamSocket.setNoDelay(true);
      upstreamSocket.setTimeout(0);
      this.splice(client, upstreamSocket);
    });
    // The sandbox answered without upgrading (404, 401, ...): relay that answer and close.
    upstream.on('response', (upstreamRes) => {
      const headers = clientResponseHeaders(upstreamRes.headers, context);
      delete headers['content-length'];
      client.write(`HTTP/1.1 ${upstreamRes.statusCode ?? 502} ${upstreamRes.statusMessage ?? ''}\r\n${headerLines(headers)}connection: close\r\n\r\n`);
      upstreamRes.pipe(client);
      upstreamRes.on('error', () => client.destroy());
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (CONNECT_ERRORS.has(error.code ?? '')) onUnreachable();
      sendRawJson(client, 502, PreviewErrors.upstreamFailed);
    });
    upstream.end();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    for (const tunnel of this.tunnels) tunnel.destroy();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(({ pool }) => pool.destroy().catch(() => undefined)));
  }

  private pool(target: UpstreamAddress): Pool {
    const key = `${target.host}:${target.port}`;
    const now = Date.now();
    const found = this.pools.get(key);
    if (found) {
      found.usedAt = now;
      return found.pool;
    }
    const pool = new Pool(`http://${key}`, {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Streaming responses (SSE, long polls, slow dev-server compiles) must live: no response timeouts.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
    });
    this.pools.set(key, { pool, usedAt: now });
    return pool;
  }

  /** Closes pools nobody used for a while (gracefully: requests still streaming through them finish). */
  private sweep(now: number): void {
    for (const [key, entry] of this.pools) {
      if (now - entry.usedAt < POOL_IDLE_MS) continue;
      this.pools.delete(key);
      entry.pool.close().catch(() => undefined);
    }
  }

  private splice(client: Duplex, upstream: Socket): void {
    this.tunnels.add(client);
    const close = () => {
      this.tunnels.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    upstream.pipe(client);
    client.pipe(upstream);
  }

  /** A sandbox address that swallows SYNs (a stopped container) fails after a bound, not the OS default. */
  private guardConnect(upstream: ClientRequest): void {
    upstream.once('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
      timer.unref();
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
  }
}

/**
 * One proxied HTTP request, as an undici dispatch handler: response head and chunks are written to the
 * client as they arrive (SSE and large downloads stream), with backpressure both ways.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private responded = false;
  private clientGone = false;
  private draining = false;

  constructor(
    private readonly proxy: PreviewProxy,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly target: UpstreamAddress,
    readonly path: string,
    readonly context: ForwardContext,
    readonly onUnreachable: () => void,
    readonly retried: boolean,
  ) {
    this.onClientClose = this.clientClosed.bind(this);
    res.on('close', this.onClientClose);
  }

  /**
   * A bound method rather than an arrow function in a field (which the build turns into a closure made in
   * the constructor): with those closures, measured with --trace-gc-nvp, the whole object graph of every
   * request (req, res, the undici request, header buffers) survived young-generation collections in the
   * manager, so each scavenge copied 5–13 MB and paused 10–20 ms (docs/previews.md, Benchmark).
   */
  private readonly onClientClose: () => void;

  private clientClosed(): void {
    if (this.res.writableFinished) return;
    this.clientGone = true;
    this.controller?.abort(new Error('client closed the connection'));
  }

  private drained(): void {
    this.draining = false;
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    const { res } = this;
    // If the sandbox's head can't be relayed (writeHead throws on a value Node refuses), undici aborts
    // the request and the client gets the 502 below instead of a half-written response.
    res.writeHead(statusCode, statusMessage ?? '', clientResponseHeaders(headers, this.context));
    this.responded = true;
    // Event streams must reach the browser now, not with the first event.
    const type = headers['content-type'];
    if (typeof type === 'string' && type.startsWith('text/event-stream')) res.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.res.write(chunk) || this.draining) return;
    this.draining = true;
    controller.pause();
    this.res.once('drain', () => this.drained());
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined | null, error: Error): void {
    if (this.responded || this.clientGone || this.res.destroyed) {
      this.res.destroy();
      return;
    }
    this.res.off('close', this.onClientClose);
    this.proxy.failed(this, error);
  }
}

/** Requests that carry a body (RFC 9112 §6.3): a length other than zero or a transfer coding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
