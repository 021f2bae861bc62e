import { Controller, DynamicModule, Get, Header, Inject, Injectable, MiddlewareConsumer, Module, NestMiddleware, NestModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
const HTTP_DURATION = Symbol('HTTP_DURATION');

/** Prometheus text exposition of this service's registry. */
@ApiExcludeController()
@Controller('metrics')
class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Times every request into `http_request_duration_seconds{method,route,status}`. */
@Injectable()
class RequestMetricsMiddleware implements NestMiddleware {
  constructor(@Inject(HTTP_DURATION) private readonly histogram: Histogram<'method' | 'route' | 'status'>) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.histogram.startTimer();
    res.once('finish', () => {
      // The matched route pattern keeps label cardinality bounded (never the raw URL).
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
    });
    next();
  }
}

/**
 * `GET /metrics` with the process' default metrics and request timings. Each app instance has its
 * own registry, so several apps in one process (tests) don't collide.
 */
@Module({})
export class MetricsModule implements NestModule {
  static forService(service: string): DynamicModule {
    return {
      module: MetricsModule,
      // Global: any module of the app may add its own metrics to the registry.
      global: true,
      controllers: [MetricsController],
      providers: [
        {
          provide: METRICS_REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            registry.setDefaultLabels({ service });
            collectDefaultMetrics({ register: registry });
            return registry;
          },
        },
        {
          provide: HTTP_DURATION,
          inject: [METRICS_REGISTRY],
          useFactory: (registry: Registry) =>
            new Histogram({
              name: 'http_request_duration_seconds',
              help: 'HTTP request duration by method, matched route and status',
              labelNames: ['method', 'route', 'status'],
              buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
              registers: [registry],
            }),
        },
        RequestMetricsMiddleware,
      ],
      exports: [METRICS_REGISTRY],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMetricsMiddleware).forRoutes('*path');
  }
}
