import { ExecutionContext, HttpException, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { httpStatusOf, isSessionId, parseTerminalMessage, SESSION_ID_MESSAGE, TerminalErrors, TerminalLimits } from '@sandbox/contracts';
import { DomainException, InternalServiceKeyGuard } from '@sandbox/shared';
import { sendRawJson } from '../previews/preview-proxy';
import { Terminal, TerminalService } from './terminal.service';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const TERMINAL_PATH = /^\/api\/internal\/sessions\/([^/?]+)\/terminal$/;
/** Largest client frame (a paste); the agent takes input in chunks of this size anyway. */
const MAX_CLIENT_FRAME_BYTES = 256 * 1024;
/** A client that falls this far behind the shell's output is disconnected (the shell is hung up). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** WebSocket close codes: policy violation (a bad text frame), internal error. */
const CLOSE_POLICY = 1008;

/**
 * `GET /api/internal/sessions/:id/terminal?cols=&rows=` upgraded to a WebSocket (docs/api.md,
 * "Terminal"): the internal key is checked like on every internal route, then a PTY is opened in the
 * sandbox; binary frames carry bytes both ways, a text frame `{"type":"resize",...}` resizes it. A
 * refusal is an ordinary HTTP answer to the upgrade (400, 403, 404, 409) with the usual JSON body.
 */
@Injectable()
export class TerminalGateway implements OnApplicationShutdown {
  private readonly logger = new Logger(TerminalGateway.name);
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false });
  private readonly keyGuard: InternalServiceKeyGuard;

  constructor(
    private readonly terminals: TerminalService,
    config: ConfigService,
  ) {
    this.keyGuard = new InternalServiceKeyGuard(config);
  }

  /** Puts the terminal route in front of the server's other upgrade handlers (the preview proxy). */
  attach(server: Server): void {
    const others = server.listeners('upgrade') as UpgradeListener[];
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const match = TERMINAL_PATH.exec(new URL(req.url ?? '/', 'http://manager').pathname);
      if (!match) return void others.forEach((listener) => listener.call(server, req, socket, head));
      socket.on('error', () => socket.destroy());
      void this.open(req, socket, head, match[1]).catch((error: unknown) => this.refuse(socket, error));
    });
  }

  onApplicationShutdown(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private async open(req: IncomingMessage, socket: Duplex, head: Buffer, rawId: string): Promise<void> {
    this.keyGuard.canActivate({ switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext);
    const sessionId = decodeURIComponent(rawId).toLowerCase();
    if (!isSessionId(sessionId)) throw DomainException.badRequest(SESSION_ID_MESSAGE);
    const size = sizeOf(new URL(req.url ?? '/', 'http://manager').searchParams);
    // Output produced before the socket is accepted waits for it.
    const early: Buffer[] = [];
    const out: { ws?: WebSocket } = {};
    let exitMessage: string | null = null;
    const terminal: Terminal = await this.terminals.open(sessionId, size, {
      onOutput: (data) => {
        const ws = out.ws;
        if (!ws) return void early.push(data);
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return void ws.terminate();
        ws.send(data, { binary: true });
      },
      onExit: (exit) => {
        exitMessage = JSON.stringify(exit);
      },
    });
    if (socket.destroyed) return terminal.close();
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      out.ws = ws;
      for (const data of early) ws.send(data, { binary: true });
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) return terminal.write(bytes);
        const message = parseTerminalMessage(bytes.toString('utf8'));
        if (!message) return ws.close(CLOSE_POLICY, TerminalErrors.message);
        terminal.resize(message.cols, message.rows).catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'terminal resize failed'));
      });
      ws.on('error', () => ws.terminate());
      ws.once('close', () => terminal.close());
      void terminal.ended.then(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (exitMessage) ws.send(exitMessage);
        ws.close(1000, exitMessage ? 'exited' : 'the sandbox agent connection closed');
      });
    });
  }

  private refuse(socket: Duplex, error: unknown): void {
    if (error instanceof DomainException) return sendRawJson(socket, httpStatusOf(error.code), error.message);
    if (error instanceof HttpException) return sendRawJson(socket, error.getStatus(), error.message);
    this.logger.error({ err: error }, 'terminal upgrade failed');
    sendRawJson(socket, 500, 'Internal server error');
  }
}

function sizeOf(query: URLSearchParams): { cols: number; rows: number } {
  const read = (name: string, fallback: number) => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    return /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  };
  const cols = read('cols', TerminalLimits.defaultCols);
  const rows = read('rows', TerminalLimits.defaultRows);
  if (!(cols >= TerminalLimits.minSize && cols <= TerminalLimits.maxCols && rows >= TerminalLimits.minSize && rows <= TerminalLimits.maxRows)) {
    throw DomainException.badRequest(TerminalErrors.size);
  }
  return { cols, rows };
}
