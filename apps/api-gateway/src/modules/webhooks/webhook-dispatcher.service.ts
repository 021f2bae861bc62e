import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { PeriodicTask } from '@sandbox/shared';
import { WebhookSecretsService } from './webhook-secrets.service';
import { webhookRetryDelayMs } from './webhook-backoff';
import { WebhookTransportRepository } from './webhook-transport.repository';
import { ClaimedDelivery, WebhooksRepository } from './webhooks.repository';
import { GatewayConfig } from '../../config/gateway-config';

const BATCH_SIZE = 16;
const ERROR_MAX_LENGTH = 500;

/**
 * Sends queued deliveries: polls PostgreSQL every WEBHOOK_POLL_INTERVAL_MS (and at once when an
 * event is queued), takes due rows with a lease (several gateways share the work), signs each
 * attempt in the Standard Webhooks format and records its outcome. A non-2xx answer or no answer is
 * retried with exponential backoff and jitter until WEBHOOK_MAX_ATTEMPTS, then FAILED. The queue is
 * the table, so nothing is lost when the gateway stops: the next one carries on.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly loop: PeriodicTask;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly leaseMs: number;

  constructor(
    private readonly deliveries: WebhooksRepository,
    private readonly transport: WebhookTransportRepository,
    private readonly secrets: WebhookSecretsService,
    config: GatewayConfig,
  ) {
    this.loop = new PeriodicTask(() => this.drain(), { name: WebhookDispatcher.name, intervalMs: config.webhooks.pollIntervalMs });
    this.maxAttempts = config.webhooks.maxAttempts;
    this.retryBaseMs = config.webhooks.retryBaseMs;
    this.retryMaxMs = config.webhooks.retryMaxMs;
    // Longer than any attempt can last (connect + headers + body are each bounded by the timeout).
    this.leaseMs = 3 * config.webhooks.timeoutMs + 5000;
  }

  onApplicationBootstrap(): void {
    this.loop.start({ immediately: true });
  }

  /** Stops polling and waits for the attempts in flight to be recorded. */
  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  private async drain(): Promise<void> {
    try {
      while (this.loop.active) {
        const claimed = await this.deliveries.claimDue(BATCH_SIZE, this.leaseMs, this.secrets.heldKeyIds());
        if (claimed.length === 0) return;
        await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
      }
    } catch (error) {
      this.logger.error({ err: error }, 'webhook delivery poll failed; retrying at the next interval');
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    let statusCode: number | null = null;
    let responseExcerpt: string | null = null;
    let error: string;
    try {
      const signer = new Webhook(this.secrets.open(delivery.secretSealed));
      const sentAt = new Date();
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'sandbox-platform-webhooks',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signer.sign(delivery.id, sentAt, delivery.body),
      };
      const response = await this.transport.post(delivery.url, headers, delivery.body);
      statusCode = response.statusCode;
      responseExcerpt = response.excerpt;
      if (statusCode >= 200 && statusCode < 300) {
        await this.deliveries.recordDelivered(delivery.id, { statusCode, error: null, responseExcerpt });
        return;
      }
      error = `HTTP ${statusCode}`;
    } catch (cause) {
      error = describe(cause);
    }
    const retryAt = delivery.attempts >= this.maxAttempts ? null : new Date(Date.now() + webhookRetryDelayMs(delivery.attempts, this.retryBaseMs, this.retryMaxMs));
    if (!retryAt) this.logger.warn({ deliveryId: delivery.id, attempts: delivery.attempts, error }, 'webhook delivery failed for good');
    try {
      await this.deliveries.recordFailed(delivery.id, { statusCode, error: error.slice(0, ERROR_MAX_LENGTH), responseExcerpt }, retryAt);
    } catch (failure) {
      // The lease runs out and the row is taken again: the attempt is counted, never lost.
      this.logger.error({ err: failure, deliveryId: delivery.id }, 'could not record a webhook attempt');
    }
  }
}

/** The attempt's failure as a delivery listing shows it: the cause's code and message, never a stack. */
function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return 'timed out';
  const code = (cause as { code?: unknown }).code;
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${cause.message}${inner}`;
}
