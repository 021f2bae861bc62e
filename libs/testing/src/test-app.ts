import { DynamicModule, INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { configureApp, ServiceDescription } from '@sandbox/shared';

export interface RunningApp {
  app: INestApplication;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Boots a service's real root module with the same pipeline as `main.ts`, listening on a free
 * loopback port. `env` is applied to `process.env` before the module is built and restored on close.
 */
export async function startTestApp(
  buildModule: () => DynamicModule,
  service: ServiceDescription,
  env: Record<string, string | undefined> = {},
): Promise<RunningApp> {
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const restore = () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  try {
    const moduleRef = await Test.createTestingModule({ imports: [buildModule()] }).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
    await configureApp(app, service);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return {
      app,
      port,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        restore();
      },
    };
  } catch (error) {
    restore();
    throw error;
  }
}
