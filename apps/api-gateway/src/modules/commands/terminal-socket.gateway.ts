import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { ContainerManagerClient } from '@sandbox/clients';
import { DomainException, handleUpgradesFirst, refuseUpgrade } from '@sandbox/shared';
import { ApiKeyConnectionsService } from '../auth/api-key-connections.service';
import { OriginPolicy } from '../browser/origin-policy';
import { upgradeOriginAllowed } from '../browser/websocket-origin.gate';
import { SessionsService } from '../sessions/sessions.service';
import { TERMINAL_SOCKET_PATH } from './session-commands.service';
import { TerminalGrant, TerminalTicketsService } from './terminal-tickets.service';

export const TerminalSocketErrors = {
  ticket: 'The terminal ticket is missing, already used or expired: ask openTerminal for a new one',
} as const;

/** Largest frame either way (a paste from the browser, a burst of output from the manager). */
const MAX_FRAME_BYTES = 1024 * 1024;
/** A side that falls this far behind is disconnected. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * The gateway's terminal WebSocket, `GET /terminal?ticket=` (docs/api.md, "Terminal"): the one-time
 * ticket of openTerminal is redeemed (it names the session and the caller), the session is checked
 * to still be the caller's, and the socket is joined to the container-manager's terminal route
 * (internal key). Frames pass through unchanged both ways; a refusal by the manager is answered with
 * its status and message. Revoking the API key closes the terminal like a subscription.
 */
@Injectable()
export class TerminalSocketGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TerminalSocketGateway.name);
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tickets: TerminalTicketsService,
    private readonly sessions: SessionsService,
    private readonly manager: ContainerManagerClient,
    private readonly connections: ApiKeyConnectionsService,
    private readonly origins: OriginPolicy,
  ) {}

  /** In front of the other upgrade handlers (graphql-ws answers 400 to any other path). */
  onApplicationBootstrap(): void {
    handleUpgradesFirst(this.adapterHost.httpAdapter.getHttpServer() as Server, (req, socket, head, next) => {
      const url = new URL(req.url ?? '/', 'http://gateway');
      if (url.pathname !== TERMINAL_SOCKET_PATH) return next();
      socket.on('error', () => socket.destroy());
      if (!upgradeOriginAllowed(this.origins, req)) return refuseUpgrade(socket, 403, 'Origin not allowed');
      void this.open(req, socket, head, url.searchParams.get('ticket') ?? '').catch((error: unknown) => {
        if (error instanceof DomainException) return refuseUpgrade(socket, error.httpStatus, error.message);
        this.logger.error({ err: error }, 'terminal upgrade failed');
        refuseUpgrade(socket, 500, 'Internal server error');
      });
    });
  }

  onApplicationShutdown(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private async open(req: IncomingMessage, socket: Duplex, head: Buffer, ticket: string): Promise<void> {
    const grant: TerminalGrant | null = ticket ? this.tickets.redeem(ticket) : null;
    if (!grant) return refuseUpgrade(socket, 401, TerminalSocketErrors.ticket);
    // Deleted since the ticket was issued: not found, like every operation on it.
    await this.sessions.get({ id: grant.userId, name: '', apiKeyId: grant.apiKeyId }, grant.sessionId);
    const target = this.manager.terminalSocket(grant.sessionId, { cols: grant.cols, rows: grant.rows });
    const upstream = new WebSocket(target.url, { headers: target.headers, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    upstream.on('error', (error) => {
      this.logger.warn({ err: error, sessionId: grant.sessionId }, 'terminal connection to the container-manager failed');
      if (!socket.destroyed && upstream.readyState !== WebSocket.OPEN) refuseUpgrade(socket, 503, 'container-manager is unavailable');
    });
    upstream.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body = (body + chunk.toString('utf8')).slice(0, 4096)));
      response.on('end', () => refuseUpgrade(socket, response.statusCode ?? 502, messageOf(body)));
      response.on('error', () => refuseUpgrade(socket, 502, 'container-manager refused the terminal'));
    });
    socket.once('close', () => {
      if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    });
    upstream.once('open', () => {
      if (socket.destroyed) return upstream.close();
      this.wss.handleUpgrade(req, socket, head, (client) => this.join(client, upstream, grant));
    });
  }

  private join(client: WebSocket, upstream: WebSocket, grant: TerminalGrant): void {
    const untrack = this.connections.track(grant.apiKeyId, { close: (code, reason) => client.close(code, reason) });
    const forward = (to: WebSocket) => (data: RawData, isBinary: boolean) => {
      if (to.readyState !== WebSocket.OPEN) return;
      if (to.bufferedAmount > MAX_BUFFERED_BYTES) return void to.terminate();
      to.send(data as Buffer, { binary: isBinary });
    };
    client.on('message', forward(upstream));
    upstream.on('message', forward(client));
    client.on('error', () => client.terminate());
    upstream.on('error', () => upstream.terminate());
    client.once('close', () => {
      untrack();
      upstream.close();
    });
    upstream.once('close', (code, reason) => {
      if (client.readyState === WebSocket.OPEN) client.close(sendable(code), reason.toString('utf8'));
    });
  }
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 500);
  } catch {
    // not JSON
  }
  return 'container-manager refused the terminal';
}

/** Close codes a peer may send (1005/1006 only describe what happened locally). */
function sendable(code: number): number {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : 1011;
}
