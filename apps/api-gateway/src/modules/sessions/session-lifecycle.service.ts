import { Injectable, Logger } from '@nestjs/common';
import { CheckpointNotification, GatewaySessionStatus, SessionTransitionResponse, WebhookEventType } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import type { Transaction } from '../../database/transaction';
import { PlatformEventsService } from '../webhooks/platform-events.service';
import { SessionEventsService } from './session-events.service';
import { illegalTransitionMessage, SessionTransition, sourcesOf, TRANSITION_TARGET } from './session-transitions';
import { CheckpointRecord, SessionRecord, SessionsRepository } from './sessions.repository';
import { SessionEventType } from './models/session-event.model';

export const sessionNotFound = (id: string): DomainException => DomainException.notFound(`Session ${id} not found`);

/**
 * Applies the manager's notifications (internal routes) and createSession's failure path: the only
 * writers of a session's status. Each transition is one conditional UPDATE, so it is atomic and
 * idempotent; subscribers hear about every change that actually happened, once, and so do the
 * owner's webhooks (session.* and checkpoint.created are queued from here only, in the transaction
 * of the change: both commit or neither, docs/webhooks.md).
 */
@Injectable()
export class SessionLifecycleService {
  private readonly logger = new Logger(SessionLifecycleService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: SessionEventsService,
    private readonly platformEvents: PlatformEventsService,
  ) {}

  async apply(sessionId: string, transition: SessionTransition, reason?: string): Promise<SessionTransitionResponse> {
    const target = TRANSITION_TARGET[transition];
    const changed = await this.sessions.transition(sessionId, sourcesOf(transition), target, reason, this.queueStatus);
    if (changed) {
      this.logger.log({ sessionId, status: target }, `session ${transition}`);
      this.announceStatus(changed);
      return { sessionId, status: changed.status, changed: true };
    }
    const current = await this.sessions.find(sessionId);
    if (!current) throw sessionNotFound(sessionId);
    if (current.status === target) return { sessionId, status: current.status, changed: false };
    throw DomainException.conflict(illegalTransitionMessage(sessionId, transition, current.status));
  }

  /** createSession's failure path: ERROR only while the manager has not reported the session started. */
  async failPending(sessionId: string, reason: string): Promise<void> {
    const changed = await this.sessions.transition(sessionId, [GatewaySessionStatus.Pending], GatewaySessionStatus.Error, reason, this.queueStatus);
    if (changed) this.announceStatus(changed);
  }

  /** createSession's PENDING row, inserted with its session.created deliveries. */
  async insert(data: Parameters<SessionsRepository['insert']>[0]): Promise<SessionRecord> {
    const session = await this.sessions.insert(data, (tx, inserted) =>
      this.platformEvents.queue(tx, { type: 'session.created', ownerId: inserted.ownerId, data: sessionEventData(inserted), at: inserted.createdAt }),
    );
    this.platformEvents.wake();
    return session;
  }

  /** deleteSession removed the sandbox: the row goes with its session.deleted deliveries. False when it was already gone. */
  async delete(session: SessionRecord): Promise<boolean> {
    const deleted = await this.sessions.deleteOwned(session.ownerId, session.id, (tx) =>
      this.platformEvents.queue(tx, { type: 'session.deleted', ownerId: session.ownerId, data: { sessionId: session.id } }),
    );
    if (!deleted) return false;
    this.events.publish({ type: SessionEventType.DELETED, sessionId: session.id, at: new Date() });
    this.platformEvents.wake();
    return true;
  }

  /** Records a checkpoint; `created` false when (session, commit) was already known. */
  async recordCheckpoint(notification: CheckpointNotification): Promise<{ checkpoint: CheckpointRecord; created: boolean }> {
    const result = await this.sessions.recordCheckpoint(
      {
        sessionId: notification.sessionId,
        commitHash: notification.commitHash,
        filesChanged: notification.filesChanged,
        messageNumber: notification.messageNumber ?? null,
        description: notification.description ?? null,
      },
      (tx, { checkpoint, ownerId }) => {
        const { id, sessionId, commitHash, filesChanged, messageNumber, description, createdAt } = checkpoint;
        return this.platformEvents.queue(tx, {
          type: 'checkpoint.created',
          ownerId,
          data: { sessionId, checkpoint: { id, commitHash, filesChanged, messageNumber, description, createdAt } },
          at: createdAt,
        });
      },
    );
    if (!result) throw sessionNotFound(notification.sessionId);
    if (result.created) {
      this.events.publish({ type: SessionEventType.CHECKPOINT_CREATED, sessionId: notification.sessionId, checkpoint: result.checkpoint, at: new Date() });
      this.platformEvents.wake();
    }
    return result;
  }

  /** The status change's session.* deliveries, in its transaction. */
  private readonly queueStatus = (tx: Transaction, session: SessionRecord): Promise<void> => {
    const type = WEBHOOK_EVENT_OF_STATUS[session.status];
    return type ? this.platformEvents.queue(tx, { type, ownerId: session.ownerId, data: sessionEventData(session), at: session.updatedAt }) : Promise.resolve();
  };

  /** After the commit: subscribers of sessionEvents hear it, and the dispatcher sends the queued deliveries. */
  private announceStatus(session: SessionRecord): void {
    this.events.publish({
      type: SessionEventType.STATUS_CHANGED,
      sessionId: session.id,
      status: session.status,
      errorReason: session.errorReason,
      at: session.updatedAt,
    });
    this.platformEvents.wake();
  }
}

const WEBHOOK_EVENT_OF_STATUS: Record<GatewaySessionStatus, WebhookEventType | null> = {
  [GatewaySessionStatus.Pending]: null,
  [GatewaySessionStatus.Active]: 'session.started',
  [GatewaySessionStatus.Stopped]: 'session.stopped',
  [GatewaySessionStatus.Error]: 'session.error',
  [GatewaySessionStatus.Paused]: 'session.paused',
};

/** The `data` of session.* webhook events. */
function sessionEventData(session: SessionRecord): Record<string, unknown> {
  return { sessionId: session.id, status: session.status, template: session.template, errorReason: session.errorReason };
}
