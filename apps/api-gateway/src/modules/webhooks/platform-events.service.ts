import { Injectable, Logger } from '@nestjs/common';
import { webhookPatternMatches, WebhookEventType } from '@sandbox/contracts';
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
 * The one place platform events leave the gateway (docs/webhooks.md): the session lifecycle and the
 * runs module call `publish`, which queues one delivery row per matching webhook of the owner in
 * PostgreSQL and wakes the dispatcher. It never throws: an event that cannot be queued is logged,
 * and the caller's own operation (already done) stands.
 */
@Injectable()
export class PlatformEventsService {
  private readonly logger = new Logger(PlatformEventsService.name);

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  async publish(event: PlatformEvent): Promise<void> {
    try {
      const subscribed = (await this.webhooks.listOwned(event.ownerId)).filter((webhook) =>
        webhook.events.some((pattern) => webhookPatternMatches(pattern, event.type)),
      );
      if (subscribed.length === 0) return;
      const body = JSON.stringify({ type: event.type, timestamp: (event.at ?? new Date()).toISOString(), data: event.data });
      await this.webhooks.enqueue(subscribed.map((webhook) => ({ webhookId: webhook.id, eventType: event.type, body })));
      this.dispatcher.wake();
    } catch (error) {
      this.logger.error({ err: error, type: event.type, ownerId: event.ownerId }, 'could not queue webhook deliveries for an event');
    }
  }
}
