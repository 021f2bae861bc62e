import { DynamicModule, INestApplication, Logger as NestLogger, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { requestContextMiddleware } from '../context/request-context';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';

export interface ServiceDescription {
  name: string;
  title: string;
  description: string;
  /** Extra setup (body parsers, WebSocket upgrade handlers) before the app listens. */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

/**
 * The pipeline every service shares, used by `main.ts` and by integration tests alike: request ids,
 * pino, strict validation, the catch-all filter, OpenAPI at `/docs` and shutdown hooks.
 */
export async function configureApp(app: NestExpressApplication, service: ServiceDescription): Promise<void> {
  app.useLogger(app.get(Logger));
  app.use(requestContextMiddleware);
  app.set('trust proxy', false);
  app.disable('x-powered-by');
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
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
  new NestLogger(service.name).log(`${service.name} listening on http://${host}:${port} (OpenAPI at /docs)`);
  return app;
}
