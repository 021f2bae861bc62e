import type { CheckpointNotification } from '@sandbox/contracts';

/**
 * A notification to the gateway, written to the SQLite outbox in the same transaction as the state
 * change it reports, and delivered in order per session until acknowledged.
 */
export type OutboxMessage =
  | { type: 'session.started'; sessionId: string }
  | { type: 'session.paused'; sessionId: string }
  | { type: 'session.stopped'; sessionId: string }
  | { type: 'session.error'; sessionId: string; reason: string }
  | { type: 'checkpoint.recorded'; sessionId: string; checkpoint: CheckpointNotification };
