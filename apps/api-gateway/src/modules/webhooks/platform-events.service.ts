import { Injectable } from '@nestjs/common';
import { webhookPatternMatches, WebhookEventType } from '@sandbox/contracts';
import type { Transaction } from '../../database/transaction';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhooksRepository } from './webhooks.repository';

export interface PlatformEvent {
  type: WebhookEventType;
  /** The user whose webhooks hear it: the owner of the session or run. Nobody else's do. */
  ownerId: string;
  /** The event's own fields (sessionId, status, checkpoint, runId, ...), sent as the body's `data`. */
  data: Record<string, unknown>;
  at?: Date;
}

/**
 * The one place platform events leave the gateway (docs/webhooks.md). The session lifecycle and the
 * runs module call `queue` from inside the transaction of the change that causes the event (their
 * repositories hand it over), so the change and its delivery rows commit together or not at all: an
 * event is never lost to a gateway killed between the two, nor sent for a change that rolled back.
 * A failure to queue throws and rolls the change back; the caller's retry (the manager's outbox, the
 * worker's report) brings both. After the commit, `wake` has the dispatcher send at once.
 */
@Injectable()
export class PlatformEventsService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /** One delivery row per matching webhook of the owner, written with `tx`. */
  async queue(tx: Transaction, event: PlatformEvent): Promise<void> {
    const subscribed = (await this.webhooks.listOwned(event.ownerId, tx)).filter((webhook) =>
      webhook.events.some((pattern) => webhookPatternMatches(pattern, event.type)),
    );
    if (subscribed.length === 0) return;
    const body = JSON.stringify({ type: event.type, timestamp: (event.at ?? new Date()).toISOString(), data: event.data });
    await this.webhooks.enqueue(
      subscribed.map((webhook) => ({ webhookId: webhook.id, eventType: event.type, body })),
      tx,
    );
  }

  /** After the commit of a transaction that queued events: send them now rather than at the next poll. */
  wake(): void {
    this.dispatcher.wake();
  }
}
