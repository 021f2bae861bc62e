import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Agent, ClientRequest, IncomingMessage, OutgoingHttpHeaders, STATUS_CODES, ServerResponse, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PreviewErrors } from '@sandbox/contracts';
import { ForwardContext, clientResponseHeaders, upstreamRequestHeaders } from './preview-headers';

export interface UpstreamAddress {
  host: string;
  port: number;
}

/** Connection-level failures that mean "the preview server is not there" (answered 502). */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);
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

/**
 * Streams HTTP requests and WebSocket connections to a sandbox over node:http. Bodies are piped in
 * both directions (never buffered), connections to sandboxes are kept alive and pooled per address,
 * and every failure ends both sides: an upstream reset mid-response destroys the client connection,
 * a client abort destroys the upstream request.
 */
@Injectable()
export class PreviewProxy implements OnModuleDestroy {
  private readonly logger = new Logger(PreviewProxy.name);
  private readonly agent = new Agent({ keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 256, scheduling: 'lifo' });
  private readonly tunnels = new Set<Duplex>();

  /** `onUnreachable` runs when the address did not answer, so the caller can drop a stale address. */
  web(req: IncomingMessage, res: ServerResponse, target: UpstreamAddress, path: string, context: ForwardContext, onUnreachable: () => void, retried = false): void {
    const upstream = request({
      host: target.host,
      port: target.port,
      method: req.method,
      path,
      headers: upstreamRequestHeaders(req.headers, context),
      agent: this.agent,
      setHost: false,
    });
    this.guardConnect(upstream);
    let responded = false;
    const onClientGone = () => {
      if (!res.writableFinished) upstream.destroy();
    };
    res.once('close', onClientGone);
    upstream.on('response', (upstreamRes) => {
      responded = true;
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, clientResponseHeaders(upstreamRes.headers, context));
      // Event streams must reach the browser now, not with the first event.
      if (String(upstreamRes.headers['content-type'] ?? '').startsWith('text/event-stream')) res.flushHeaders();
      upstreamRes.on('error', () => res.destroy());
      upstreamRes.on('close', () => {
        if (!upstreamRes.complete) res.destroy();
      });
      upstreamRes.pipe(res);
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (responded || res.destroyed) {
        res.destroy();
        return;
      }
      // A pooled connection the sandbox closed while idle: safe to try once more for requests without a body.
      if (!retried && upstream.reusedSocket && error.code === 'ECONNRESET' && IDEMPOTENT.has(req.method ?? '') && !hasBody(req)) {
        res.off('close', onClientGone);
        this.web(req, res, target, path, context, onUnreachable, true);
        return;
      }
      if (CONNECT_ERRORS.has(error.code ?? '')) onUnreachable();
      this.logger.debug({ err: error, target: `${target.host}:${target.port}` }, 'preview upstream failed');
      sendJson(res, 502, PreviewErrors.upstreamFailed);
    });
    if (hasBody(req)) req.pipe(upstream);
    else upstream.end();
    req.on('error', () => upstream.destroy());
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

  onModuleDestroy(): void {
    for (const tunnel of this.tunnels) tunnel.destroy();
    this.agent.destroy();
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

/** Requests that carry a body (RFC 9112 §6.3): a length other than zero or a transfer coding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
