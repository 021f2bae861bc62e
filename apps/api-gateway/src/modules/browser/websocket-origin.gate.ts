import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { OriginPolicy } from './origin-policy';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const REFUSAL_BODY = JSON.stringify({ statusCode: 403, message: 'Origin not allowed' });

/**
 * Refuses WebSocket upgrades (graphql-ws) that a browser page on another origin, not in CORS_ORIGINS,
 * opens: browsers send no preflight for WebSockets, so this is where cross-site use is stopped. Clients
 * that send no Origin (Node, CLIs) and the gateway's own pages (the explorer) are let through.
 * Installed after the GraphQL module attached its upgrade handler, in front of it.
 */
@Injectable()
export class WebSocketOriginGate implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebSocketOriginGate.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly origins: OriginPolicy,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const listeners = server.listeners('upgrade') as UpgradeListener[];
    server.removeAllListeners('upgrade');
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.allows(req)) {
        this.logger.warn({ origin: req.headers.origin, url: req.url }, 'WebSocket upgrade refused: origin not allowed');
        socket.on('error', () => socket.destroy());
        socket.end(
          `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n\r\n${REFUSAL_BODY}`,
        );
        return;
      }
      for (const listener of listeners) listener.call(server, req, socket, head);
    });
  }

  private allows(req: IncomingMessage): boolean {
    return upgradeOriginAllowed(this.origins, req);
  }
}

/** Whether a WebSocket upgrade may come from its Origin: none (not a browser), CORS_ORIGINS, or the gateway's own pages. */
export function upgradeOriginAllowed(origins: OriginPolicy, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origins.acceptsUpgradeFrom(origin)) return true;
  // The gateway's own pages (the explorer, the console) connect from the gateway's origin.
  const host = req.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}
