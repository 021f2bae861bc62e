import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createServer, type Http2Server, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { CONNECT_PATH_PREFIX, ConnectRoutes } from './connect-routes';
import { GatewayConfig } from '../../config/gateway-config';

/**
 * The h2c (HTTP/2 without TLS) listener for the gRPC protocol, which needs HTTP/2 that Express cannot
 * serve. Same routes, request gate and errors as `/connect` on the main port; it answers both at
 * `/connect/sandbox.v1.PipelineService/...` and at the bare `/sandbox.v1.PipelineService/...` that
 * most gRPC clients (grpcurl, grpc-go) insist on. Connect and gRPC-Web work here too. Listens on HOST
 * at CONNECT_GRPC_PORT; 0 (the default) leaves it off. TLS belongs to the proxy in front, as for the
 * main port.
 */
@Injectable()
export class ConnectGrpcServer implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ConnectGrpcServer.name);
  private server?: Http2Server;
  private readonly sessions = new Set<Http2Session>();

  constructor(
    private readonly routes: ConnectRoutes,
    private readonly config: GatewayConfig,
  ) {}

  /** Where the listener is bound, once it is (tests with port 0 read it here). */
  get address(): AddressInfo | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.connectGrpc) return;
    const { host, port } = this.config.connectGrpc;
    const prefixed = connectNodeAdapter(this.routes.options(CONNECT_PATH_PREFIX));
    const bare = connectNodeAdapter(this.routes.options(''));
    const server = createServer((req, res) => (req.url.startsWith(`${CONNECT_PATH_PREFIX}/`) ? prefixed : bare)(req, res));
    server.on('session', (session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`Connect (gRPC, gRPC-Web, Connect over h2c) listening on ${host}:${port}`);
  }

  /** Open WatchRun streams end now (the request's signal aborts); clients resume with after_seq. */
  beforeApplicationShutdown(): void {
    this.routes.shutdown();
    for (const session of this.sessions) session.close();
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
