import { Injectable } from '@nestjs/common';
import { currentTraceparent } from '@sandbox/shared';
import { OutboxDeliveryService } from './outbox-delivery.service';
import { OutboxRepository } from './outbox.repository';
import type { OutboxMessage } from './outbox.types';

/**
 * Durable notifications to the gateway. Call `enqueue` INSIDE `DatabaseService.transaction(...)`,
 * together with the state change it reports: both commit or neither does (it throws otherwise).
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly repository: OutboxRepository,
    private readonly delivery: OutboxDeliveryService,
  ) {}

  enqueue(message: OutboxMessage): void {
    // The trace of the request that made the change follows the notification to the gateway.
    this.repository.insert(message, new Date(), currentTraceparent());
    // Runs after the surrounding (synchronous) transaction has committed.
    setImmediate(() => this.delivery.wake());
  }

  pendingCount(): number {
    return this.repository.pendingCount();
  }
}
