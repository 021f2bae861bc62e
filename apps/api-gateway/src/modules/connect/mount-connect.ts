import type { NestExpressApplication } from '@nestjs/platform-express';
import { expressConnectMiddleware } from '@connectrpc/connect-express';
import { CONNECT_PATH_PREFIX, ConnectRoutes } from './connect-routes';

/**
 * Serves the Connect services at `/connect/<package.Service>/<Method>` on the gateway's HTTP port
 * (Connect and gRPC-Web protocols; gRPC needs HTTP/2: ConnectGrpcServer). Mounted on Express ahead of
 * Nest's routes and after the JSON body parser, whose parsed body the middleware takes as is; anything
 * else under `/connect` falls through to the usual 404.
 */
export function mountConnect(app: NestExpressApplication): void {
  const options = app.get(ConnectRoutes).options(CONNECT_PATH_PREFIX);
  app.use(expressConnectMiddleware(options));
}
