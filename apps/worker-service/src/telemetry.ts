// The first import of main.ts: tracing starts before any instrumented module is loaded.
import { startTelemetry } from '@sandbox/shared/telemetry';

startTelemetry('worker-service');
