import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * The active trace as a W3C `traceparent` value, to store with work that runs later (the manager's
 * outbox); null when tracing is off (the API's default propagator injects nothing) or no span is active.
 */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/**
 * Runs `work` inside the trace a stored `traceparent` names, so the spans it makes (and the
 * traceparent the undici instrumentation sends) continue that trace. Without one, outside any trace:
 * background work must not join whichever request happened to wake it.
 */
export function withTraceparent<T>(traceparent: string | null | undefined, work: () => T): T {
  return context.with(traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT, work);
}
