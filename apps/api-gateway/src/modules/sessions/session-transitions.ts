import { GatewaySessionStatus } from '@sandbox/contracts';

/** The manager's notifications, and what each asks of a session's status (docs/api.md, Session statuses). */
export type SessionTransition = 'start' | 'stop' | 'pause' | 'error';

export const TRANSITION_TARGET: Record<SessionTransition, GatewaySessionStatus> = {
  start: GatewaySessionStatus.Active,
  stop: GatewaySessionStatus.Stopped,
  pause: GatewaySessionStatus.Paused,
  error: GatewaySessionStatus.Error,
};

/**
 * Statuses from which a transition changes the row: PENDING, STOPPED, PAUSED or ERROR → ACTIVE,
 * ACTIVE or PAUSED → STOPPED, ACTIVE (or PENDING, if the start was never heard) → PAUSED, any other → ERROR. A session already in the target status is left alone (idempotent,
 * 200); any other status is a conflict (409).
 *
 * ERROR → ACTIVE: `start` is the manager reporting that the sandbox runs (its notifications are the
 * record of what runs, delivered in order by its outbox). A session the gateway marked ERROR while the
 * manager was unreachable, or a failed sandbox restarted, becomes ACTIVE again instead of staying
 * ERROR while its container runs.
 */
export function sourcesOf(transition: SessionTransition): GatewaySessionStatus[] {
  switch (transition) {
    case 'start':
      return [GatewaySessionStatus.Pending, GatewaySessionStatus.Stopped, GatewaySessionStatus.Paused, GatewaySessionStatus.Error];
    case 'stop':
      return [GatewaySessionStatus.Active, GatewaySessionStatus.Paused];
    case 'pause':
      return [GatewaySessionStatus.Pending, GatewaySessionStatus.Active];
    case 'error':
      return [GatewaySessionStatus.Pending, GatewaySessionStatus.Active, GatewaySessionStatus.Stopped, GatewaySessionStatus.Paused];
  }
}

export function illegalTransitionMessage(sessionId: string, transition: SessionTransition, from: GatewaySessionStatus): string {
  return `Session ${sessionId} cannot go from ${from} to ${TRANSITION_TARGET[transition]}`;
}
