import { Injectable } from '@nestjs/common';
import { isWebhookEventPattern, WEBHOOK_MAX_PER_USER, WebhookErrors } from '@sandbox/contracts';
import { DomainException, hostOf } from '@sandbox/shared';
import type { AuthenticatedUser } from '../auth/auth.types';
import type { CreateWebhookInput } from './dto/webhook.inputs';
import { resolveWebhookHost } from './webhook-target.policy';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookDeliveryRecord, WebhookRecord, WebhooksRepository } from './webhooks.repository';
import { GatewayConfig } from '../../config/gateway-config';

/** The owner-facing webhook operations behind GraphQL: every one scoped to the caller's own webhooks. */
@Injectable()
export class WebhooksService {
  private readonly allowPrivate: boolean;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly secrets: WebhookSecretsService,
    config: GatewayConfig,
  ) {
    this.allowPrivate = config.webhooks.allowPrivateTargets;
  }

  /**
   * Checks the URL (http(s), no credentials, every address it resolves to public unless private
   * targets are allowed) and the event patterns, then stores the webhook with its sealed secret.
   * The secret is returned this once.
   */
  async create(user: AuthenticatedUser, input: CreateWebhookInput): Promise<WebhookRecord & { secret: string }> {
    const url = parseWebhookUrl(input.url);
    const events = [...new Set(input.events)];
    const unknown = events.find((pattern) => !isWebhookEventPattern(pattern));
    if (unknown !== undefined) throw DomainException.badRequest(WebhookErrors.unknownEvent(unknown));
    await resolveWebhookHost(hostOf(url), this.allowPrivate);
    if ((await this.webhooks.countOwned(user.id)) >= WEBHOOK_MAX_PER_USER) throw DomainException.badRequest(WebhookErrors.tooMany);
    const { secret, sealed } = this.secrets.generate();
    const webhook = await this.webhooks.create({ ownerId: user.id, url: url.toString(), events, secretSealed: sealed });
    return { ...webhook, secret };
  }

  list(user: AuthenticatedUser): Promise<WebhookRecord[]> {
    return this.webhooks.listOwned(user.id);
  }

  async delete(user: AuthenticatedUser, id: string): Promise<boolean> {
    if (!(await this.webhooks.deleteOwned(user.id, id))) throw DomainException.notFound(WebhookErrors.notFound(id));
    return true;
  }

  /** Newest first. Another owner's webhook id is "not found". */
  async deliveries(user: AuthenticatedUser, webhookId: string, limit: number, offset: number): Promise<WebhookDeliveryRecord[]> {
    if (!(await this.webhooks.findOwned(user.id, webhookId))) throw DomainException.notFound(WebhookErrors.notFound(webhookId));
    return this.webhooks.listDeliveries(webhookId, limit, offset);
  }
}

function parseWebhookUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw DomainException.badRequest(WebhookErrors.invalidUrl);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || !url.hostname) {
    throw DomainException.badRequest(WebhookErrors.invalidUrl);
  }
  return url;
}
