import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { PinoLogger } from 'nestjs-pino';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { DomainException, matchesAnyKey, requestIdOf } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { SessionActivity } from '../sessions/session-activity';
import { SessionUsageService } from '../sessions/session-usage.service';
import { SessionsService } from '../sessions/sessions.service';
import { ForwardContext, PREVIEW_TOKEN_COOKIE, PREVIEW_TOKEN_HEADER, readCookie } from './preview-headers';
import { PreviewProxy, sendJson, sendRawJson } from './preview-proxy';
import { PreviewRequest, matchPreviewRequest, takeQueryToken } from './preview-request';
import type { PreviewRecord } from './previews.repository';
import { PreviewAuthErrors, PreviewTarget, PreviewsService } from './previews.service';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Outcome of the checks every preview request passes before it is forwarded. */
type Admission =
  | { kind: 'forward'; path: string; context: ForwardContext; sessionId: string; port: number; record: PreviewRecord }
  | { kind: 'redirect'; location: string; cookie: string }
  | { kind: 'reject'; status: number; message: string };

/**
 * The entry point of preview traffic, attached to the HTTP server ahead of Express: a request whose
 * Host is a preview host or whose path is a preview path never reaches the body parser or the
 * manager's own routes. It authorizes (internal key, private-preview token), resolves the target from
 * our records and hands the connection to the proxy. WebSocket upgrades take the same path.
 */
@Injectable()
export class PreviewGateway {
  private readonly logger = new Logger(PreviewGateway.name);
  private readonly keys: string[];

  constructor(
    private readonly previews: PreviewsService,
    private readonly proxy: PreviewProxy,
    private readonly sessions: SessionsService,
    private readonly activity: SessionActivity,
    private readonly usage: SessionUsageService,
    config: ManagerConfig,
  ) {
    this.keys = config.internalKeys;
  }

  attach(server: Server): void {
    const appListeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.handle(req, res)) return;
      for (const listener of appListeners) listener.call(server, req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (this.handleUpgrade(req, socket, head)) return;
      // Nothing else in the manager speaks WebSocket; don't leave the socket hanging.
      if (server.listenerCount('upgrade') === 1) sendRawJson(socket, 404, 'Not Found');
    });
  }

  /** True when the request was a preview request (answered or forwarded here). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const match = matchPreviewRequest(req.headers.host, req.url ?? '/', this.previews.domain);
    if (match.kind === 'none') return false;
    if (match.kind === 'invalid') {
      sendJson(res, 400, match.message);
      return true;
    }
    if (match.request.slashRedirect) {
      // 308 keeps the method and body; the page then loads its relative assets under the prefix.
      res.writeHead(308, { location: match.request.slashRedirect, 'content-length': 0 });
      res.end();
      return true;
    }
    let admission: Admission;
    try {
      admission = this.admit(req, match.request, false);
    } catch (error) {
      this.fail(error, (status, message) => sendJson(res, status, message));
      return true;
    }
    if (admission.kind === 'reject') {
      sendJson(res, admission.status, admission.message);
      return true;
    }
    if (admission.kind === 'redirect') {
      res.writeHead(302, { location: admission.location, 'set-cookie': admission.cookie, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return true;
    }
    this.track(req, res, admission);
    // A paused sandbox is resumed before its traffic goes in (its address stays the same).
    if (this.activity.isPaused(admission.sessionId)) {
      this.sessions
        .resumeIfPaused(admission.sessionId)
        .then(() => this.previews.target(admission.record))
        .then(
          (target) => this.forward(req, res, target, admission),
          (error: unknown) => this.fail(error, (status, message) => sendJson(res, status, message)),
        );
      return true;
    }
    // Hot path: a fresh cached address means no promise and no Docker call.
    const cached = this.previews.cachedTarget(admission.record);
    if (cached) this.forward(req, res, cached, admission);
    else
      this.previews.target(admission.record).then(
        (target) => this.forward(req, res, target, admission),
        (error: unknown) => this.fail(error, (status, message) => sendJson(res, status, message)),
      );
    return true;
  }

  /**
   * Every admitted preview request is activity of its session, counted per session and port, and
   * logged with its request id when it ends (previews are served ahead of Express and its request logger).
   */
  private track(req: IncomingMessage, res: ServerResponse | null, admission: Admission & { kind: 'forward' }): void {
    const { sessionId, port } = admission;
    this.activity.touch(sessionId);
    this.usage.countPreviewRequest(sessionId, port);
    // The hot path builds no log line that the level would drop.
    const logging = PinoLogger.root?.isLevelEnabled('info') ?? true;
    if (!res) {
      if (logging) this.logger.log({ requestId: requestIdOf(req), sessionId, port, method: req.method, upgrade: true }, 'preview upgrade');
      return;
    }
    const started = logging ? performance.now() : 0;
    // A response still streaming (a long poll, server-sent events) keeps the session from being paused under it.
    this.activity.hold(sessionId);
    // `on`, not `once`: 'close' is emitted once, and `once` wraps the listener and removes it per request.
    res.on('close', () => {
      this.activity.release(sessionId);
      if (logging) {
        const durationMs = Math.round(performance.now() - started);
        this.logger.log({ requestId: requestIdOf(req), sessionId, port, method: req.method, status: res.statusCode, durationMs }, 'preview request');
      }
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse, target: PreviewTarget, admission: Admission & { kind: 'forward' }): void {
    this.proxy.web(req, res, target, admission.path, admission.context, () => this.previews.invalidate(admission.sessionId));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const match = matchPreviewRequest(req.headers.host, req.url ?? '/', this.previews.domain);
    if (match.kind === 'none') return false;
    const reject = (status: number, message: string) => sendRawJson(socket, status, message);
    if (match.kind === 'invalid') {
      reject(400, match.message);
      return true;
    }
    let admission: Admission;
    try {
      admission = this.admit(req, match.request, true);
    } catch (error) {
      this.fail(error, reject);
      return true;
    }
    if (admission.kind !== 'forward') {
      reject(admission.kind === 'reject' ? admission.status : 400, admission.kind === 'reject' ? admission.message : 'Bad Request');
      return true;
    }
    this.track(req, null, admission);
    // What the browser sends over the socket is activity too (an open socket alone, such as a dev server's reload channel, is not).
    socket.on('data', () => this.activity.touch(admission.sessionId));
    this.sessions
      .resumeIfPaused(admission.sessionId)
      .then(() => this.previews.target(admission.record))
      .then(
        (target) => this.proxy.upgrade(req, socket, head, target, admission.path, admission.context, () => this.previews.invalidate(admission.sessionId)),
        (error: unknown) => this.fail(error, reject),
      );
    return true;
  }

  private admit(req: IncomingMessage, request: PreviewRequest, upgrade: boolean): Admission {
    if (request.form === 'internal' && !this.hasInternalKey(req)) return { kind: 'reject', status: 403, message: 'Forbidden' };
    const record = this.previews.registrationFor(request);
    let path = request.path;
    const context: ForwardContext = {
      form: request.form,
      remoteAddress: req.socket.remoteAddress ?? '',
      protocol: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
      prefix: request.prefix,
    };
    const forward: Admission = { kind: 'forward', path, context, sessionId: request.sessionId, port: record.port, record };
    if (!record.private || request.form === 'internal') return forward;

    const fromQuery = takeQueryToken(path);
    path = fromQuery.path;
    const header = req.headers[PREVIEW_TOKEN_HEADER];
    const candidates = [typeof header === 'string' ? header : undefined, fromQuery.token, readCookie(req.headers.cookie, PREVIEW_TOKEN_COOKIE)];
    const token = candidates.find((candidate) => candidate !== undefined && this.previews.allows(record, candidate));
    if (token === undefined) return { kind: 'reject', status: 401, message: PreviewAuthErrors.tokenRequired };
    // A token in a link becomes a cookie of that preview origin (or path), and leaves the address bar.
    if (token === fromQuery.token && !upgrade && (req.method === 'GET' || req.method === 'HEAD')) {
      const cookiePath = request.form === 'host' ? '/' : (request.prefix ?? '/');
      const secure = context.protocol === 'https' ? '; Secure' : '';
      return {
        kind: 'redirect',
        location: request.form === 'host' ? path : `${request.prefix ?? ''}${path}`,
        cookie: `${PREVIEW_TOKEN_COOKIE}=${token}; Path=${cookiePath}; HttpOnly; SameSite=Lax${secure}`,
      };
    }
    return { ...forward, path };
  }

  private hasInternalKey(req: IncomingMessage): boolean {
    const presented = req.headers[INTERNAL_KEY_HEADER];
    return typeof presented === 'string' && this.keys.length > 0 && matchesAnyKey(presented, this.keys);
  }

  private fail(error: unknown, send: (status: number, message: string) => void): void {
    if (error instanceof DomainException) {
      if (error.httpStatus >= 500) this.logger.warn(error.message);
      send(error.httpStatus, error.message);
      return;
    }
    this.logger.error({ err: error }, 'preview request failed');
    send(500, 'Internal server error');
  }
}
