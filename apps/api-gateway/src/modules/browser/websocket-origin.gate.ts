import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import { handleUpgradesFirst, refuseUpgrade } from '@sandbox/shared';
import { OriginPolicy } from './origin-policy';

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
    handleUpgradesFirst(this.adapterHost.httpAdapter.getHttpServer() as Server, (req, socket, _head, next) => {
      if (this.allows(req)) return next();
      this.logger.warn({ origin: req.headers.origin, url: req.url }, 'WebSocket upgrade refused: origin not allowed');
      socket.on('error', () => socket.destroy());
      refuseUpgrade(socket, 403, 'Origin not allowed');
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
