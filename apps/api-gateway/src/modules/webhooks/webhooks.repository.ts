import { Injectable } from '@nestjs/common';
import { WebhookDeliveryStatus } from '@sandbox/contracts';
import { PrismaService } from '../../database/prisma.service';
import type { Transaction } from '../../database/transaction';
import { WebhookDeliveryStatus as DeliveryStatusRow } from '../../generated/prisma/client';

export interface WebhookRecord {
  id: string;
  ownerId: string;
  url: string;
  events: string[];
  secretSealed: string;
  createdAt: Date;
}

export interface WebhookDeliveryRecord {
  id: string;
  webhookId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  responseExcerpt: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A delivery held for one attempt (its lease is set and `attempts` already counts this one). */
export interface ClaimedDelivery {
  id: string;
  eventType: string;
  body: string;
  attempts: number;
  url: string;
  secretSealed: string;
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

/** Prisma's enum and the contract's enum hold the same strings; this keeps the compiler honest. */
const toDelivery = <T extends { status: DeliveryStatusRow }>(row: T): T & { status: WebhookDeliveryStatus } => row as T & { status: WebhookDeliveryStatus };

/** Webhooks and their delivery queue in PostgreSQL. Every owner-facing read is scoped by owner. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(data: { ownerId: string; url: string; events: string[]; secretSealed: string }): Promise<WebhookRecord> {
    return this.prisma.webhook.create({ data });
  }

  countOwned(ownerId: string): Promise<number> {
    return this.prisma.webhook.count({ where: { ownerId } });
  }

  listOwned(ownerId: string, tx: Transaction = this.prisma): Promise<WebhookRecord[]> {
    return tx.webhook.findMany({ where: { ownerId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  findOwned(ownerId: string, id: string): Promise<WebhookRecord | null> {
    return this.prisma.webhook.findFirst({ where: { id, ownerId } });
  }

  /** Deletes the webhook and, by cascade, its deliveries (pending ones are never sent). */
  async deleteOwned(ownerId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.webhook.deleteMany({ where: { id, ownerId } });
    return count === 1;
  }

  /** Queues deliveries in `tx`, the transaction of the change that causes them. */
  async enqueue(deliveries: { webhookId: string; eventType: string; body: string }[], tx: Transaction): Promise<void> {
    if (deliveries.length > 0) await tx.webhookDelivery.createMany({ data: deliveries });
  }

  async listDeliveries(webhookId: string, limit: number, offset: number): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { webhookId },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: limit,
      skip: offset,
      omit: { body: true, leaseUntil: true },
    });
    return rows.map(toDelivery);
  }

  /**
   * Takes up to `limit` due deliveries for one attempt each: rows locked with SKIP LOCKED, so
   * gateways polling together never take the same row, and leased for `leaseMs`, so a row held by
   * a gateway that died mid-attempt is taken again once the lease ends. The attempt is counted here,
   * before it is made: an attempt cut short by a crash still counts. Only deliveries of webhooks whose
   * secret is sealed under one of `keyIds` are taken: a gateway that could not sign one leaves it alone.
   */
  claimDue(limit: number, leaseMs: number, keyIds: string[]): Promise<ClaimedDelivery[]> {
    return this.prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE webhook_deliveries AS d
         SET lease_until = now() + ${leaseMs} * interval '1 millisecond',
             attempts = d.attempts + 1,
             last_attempt_at = now()
        FROM webhooks AS w
       WHERE w.id = d.webhook_id
         AND d.id IN (SELECT q.id FROM webhook_deliveries AS q
                        JOIN webhooks AS k ON k.id = q.webhook_id
                       WHERE q.status = 'PENDING' AND q.next_attempt_at <= now()
                         AND (q.lease_until IS NULL OR q.lease_until < now())
                         AND split_part(k.secret_sealed, '.', 2) = ANY(${keyIds}::text[])
                       ORDER BY q.next_attempt_at
                       LIMIT ${limit}
                       FOR UPDATE OF q SKIP LOCKED)
      RETURNING d.id, d.event_type AS "eventType", d.body, d.attempts, w.url, w.secret_sealed AS "secretSealed"`;
  }

  async recordDelivered(id: string, outcome: AttemptOutcome): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id },
      data: { status: DeliveryStatusRow.DELIVERED, leaseUntil: null, deliveredAt: new Date(), lastStatusCode: outcome.statusCode, lastError: null, responseExcerpt: outcome.responseExcerpt },
    });
  }

  /** A failed attempt: retried at `retryAt`, or FAILED for good when it is null. */
  async recordFailed(id: string, outcome: AttemptOutcome, retryAt: Date | null): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id },
      data: {
        status: retryAt ? DeliveryStatusRow.PENDING : DeliveryStatusRow.FAILED,
        leaseUntil: null,
        ...(retryAt ? { nextAttemptAt: retryAt } : {}),
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        responseExcerpt: outcome.responseExcerpt,
      },
    });
  }

  /** Every webhook's sealed secret, to re-seal those of an older key after a rotation. */
  listSealedSecrets(): Promise<{ id: string; secretSealed: string }[]> {
    return this.prisma.webhook.findMany({ select: { id: true, secretSealed: true } });
  }

  async replaceSealedSecret(id: string, previous: string, next: string): Promise<void> {
    await this.prisma.webhook.updateMany({ where: { id, secretSealed: previous }, data: { secretSealed: next } });
  }
}
