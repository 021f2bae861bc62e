import { Injectable } from '@nestjs/common';
import type { ConnectRouterOptions } from '@connectrpc/connect';
import type { ConnectNodeAdapterOptions } from '@connectrpc/connect-node';
import { CONNECT_READ_MAX_BYTES, connectContextValues, PipelineConnectService } from './pipeline.connect';

/** Where the Connect services are served on the gateway's HTTP port. */
export const CONNECT_PATH_PREFIX = '/connect';

/**
 * The options both Connect listeners share (the Express middleware at `/connect` and the h2c listener):
 * the routes, the request gate that checks the API key, the context values it reads the client
 * address from, the message size limit, and the signal that ends open streams at shutdown.
 */
@Injectable()
export class ConnectRoutes {
  private readonly stopping = new AbortController();

  constructor(private readonly pipeline: PipelineConnectService) {}

  options(requestPathPrefix: string): ConnectNodeAdapterOptions & ConnectRouterOptions {
    return {
      routes: this.pipeline.routes,
      requestGate: this.pipeline.authenticate,
      contextValues: connectContextValues,
      readMaxBytes: CONNECT_READ_MAX_BYTES,
      shutdownSignal: this.stopping.signal,
      requestPathPrefix,
    };
  }

  shutdown(): void {
    this.stopping.abort();
  }
}
