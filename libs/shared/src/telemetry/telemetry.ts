/**
 * OpenTelemetry tracing (docs/observability.md). Each app's `src/telemetry.ts` calls `startTelemetry`
 * and is the first import of its `main.ts`, so the SDK hooks the modules before anything loads them.
 *
 * Read straight from `process.env`, unlike every other setting: this runs before the validated
 * configuration exists, and the variables are OpenTelemetry's own (`OTEL_*`), which the SDK reads
 * itself. Without OTEL_EXPORTER_OTLP_ENDPOINT nothing is loaded, nothing is patched and nothing is
 * sent: the cost is one environment lookup.
 */
import type { NodeSDK } from '@opentelemetry/sdk-node';

let sdk: NodeSDK | null = null;

export function telemetryEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

export function startTelemetry(serviceName: string): void {
  if (sdk || !telemetryEnabled()) return;
  // Traces only: the platform's metrics are Prometheus at /metrics, its logs pino on stdout.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const { register } = require('node:module') as typeof import('node:module');
  const { pathToFileURL } = require('node:url') as typeof import('node:url');
  // NestJS, Express and Apollo are loaded as ES modules (require(esm)); this loader hook lets the
  // instrumentations patch those too, not only what CommonJS `require` loads.
  register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(__filename));
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation, ExpressLayerType } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  /* eslint-enable @typescript-eslint/no-require-imports */
  sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || serviceName,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      new HttpInstrumentation(),
      // Route handlers only: a span per middleware would bury the calls that matter.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
      new UndiciInstrumentation(),
      // Queries inside a request or job only, not the background polls (webhook queue, sweepers).
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
}

/** Flushes the spans still buffered; called on shutdown, before the process exits. */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = null;
  await running?.shutdown().catch(() => undefined);
}
