import { DynamicModule, INestApplication, Logger as NestLogger, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { requestContextMiddleware } from '../context/request-context';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { verifyJsonBody } from '../http/json-depth';
import { shutdownTelemetry } from '../telemetry/telemetry';

/**
 * How long an idle keep-alive connection stays open (Node's default is 5 s). Longer than the idle timeout
 * of common load balancers (60 s), as Node's documentation advises for servers behind one, and close to
 * nginx's 75 s. Browsers loading a preview, and clients of the internal routes, reuse their connections
 * instead of reconnecting every few seconds: with 5 s, a client pool at 1,000 req/s reopened a few
 * connections per 5 s window, and the preview proxy's p99 doubled (docs/previews.md, Benchmark).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface ServiceDescription {
  name: string;
  title: string;
  description: string;
  /** Largest JSON body accepted (body-parser syntax); `100kb` when unset. */
  jsonBodyLimit?: string;
  /** Extra setup (WebSocket upgrade handlers, routes served ahead of Express) before the app listens. */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

/**
 * The pipeline every service shares, used by `main.ts` and by integration tests alike: request ids,
 * pino, the JSON body parser, strict validation, the catch-all filter, OpenAPI at `/docs` and
 * shutdown hooks.
 */
export async function configureApp(app: NestExpressApplication, service: ServiceDescription): Promise<void> {
  app.useLogger(app.get(Logger));
  app.use(requestContextMiddleware);
  app.set('trust proxy', false);
  app.disable('x-powered-by');
  const server = app.getHttpServer();
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node's rule: the headers of a request on a kept-alive connection must be given longer than that.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  // Registered before Nest's default parser, which then skips JSON: bounded size, UTF-8 only, and
  // nesting bounded by MAX_JSON_DEPTH (400 'Request body is nested too deeply') before it is parsed.
  // Nest's typing reserves `verify` for its `rawBody` option, which no service uses.
  const jsonOptions = { limit: service.jsonBodyLimit ?? '100kb', verify: verifyJsonBody };
  app.useBodyParser('json', jsonOptions);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(service.title)
      .setDescription(service.description)
      .addApiKey({ type: 'apiKey', in: 'header', name: INTERNAL_KEY_HEADER }, 'internal-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  await service.configure?.(app);
}

/** Boots a service from its root module and listens on HOST:PORT from the validated config. */
export async function bootstrapService(rootModule: DynamicModule, service: ServiceDescription): Promise<INestApplication> {
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(rootModule, { bufferLogs: true, abortOnError: false });
  } catch (error) {
    // Config validation errors land here: print them plainly and stop.
    console.error(`${service.name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  await configureApp(app, service);
  const config = app.get(ConfigService);
  const port = config.getOrThrow<number>('PORT');
  const host = config.getOrThrow<string>('HOST');
  await app.listen(port, host);
  const logger = new NestLogger(service.name);
  logger.log(`${service.name} listening on http://${host}:${port} (OpenAPI at /docs)`);
  handleShutdownSignals(app, logger, {
    drainMs: config.get<number>('SHUTDOWN_DRAIN_MS') ?? 10_000,
    timeoutMs: config.get<number>('SHUTDOWN_TIMEOUT_MS') ?? 30_000,
  });
  return app;
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: stop accepting connections and let in-flight requests finish;
 * after `drainMs`, close what is still open (event streams, hung clients) so shutdown cannot wait
 * forever; then the modules' shutdown hooks run (queues, outbox loop, databases). If all of that
 * exceeds `timeoutMs`, the process exits anyway with status 1.
 */
function handleShutdownSignals(app: NestExpressApplication, logger: NestLogger, limits: { drainMs: number; timeoutMs: number }): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining in-flight requests`);
    const server = app.getHttpServer();
    setTimeout(() => server.closeAllConnections(), limits.drainMs).unref();
    setTimeout(() => {
      logger.error(`shutdown did not finish within ${limits.timeoutMs} ms; exiting`);
      process.exit(1);
    }, limits.timeoutMs).unref();
    app.close().then(
      // Buffered spans are flushed before the process ends (a no-op without tracing).
      () => shutdownTelemetry().finally(() => process.exit(0)),
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
