import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { SecretSealer } from '@sandbox/shared';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Signing secrets: made here, stored sealed (AES-256-GCM under a key derived from
 * INTERNAL_SERVICE_KEY, see SecretSealer), opened only to sign. After a key rotation, boot re-seals
 * every secret under the new first key, so the old key can then be dropped from the list.
 */
@Injectable()
export class WebhookSecretsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookSecretsService.name);
  private readonly sealer: SecretSealer;

  constructor(
    private readonly webhooks: WebhooksRepository,
    config: ConfigService,
  ) {
    this.sealer = new SecretSealer(config.getOrThrow<string>('INTERNAL_SERVICE_KEY'), 'webhook-signing-secrets');
  }

  /** `whsec_` + 32 random bytes in base64, the Standard Webhooks form. */
  generate(): { secret: string; sealed: string } {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    return { secret, sealed: this.sealer.seal(secret) };
  }

  open(sealed: string): string {
    return this.sealer.open(sealed);
  }

  async onApplicationBootstrap(): Promise<void> {
    let resealed = 0;
    for (const { id, secretSealed } of await this.webhooks.listSealedSecrets()) {
      if (this.sealer.isCurrent(secretSealed)) continue;
      try {
        await this.webhooks.replaceSealedSecret(id, secretSealed, this.sealer.seal(this.sealer.open(secretSealed)));
        resealed++;
      } catch (error) {
        this.logger.error({ err: error, webhookId: id }, 'webhook secret sealed under a key that is no longer configured: its deliveries will fail');
      }
    }
    if (resealed > 0) this.logger.log(`re-sealed ${resealed} webhook secret(s) under the current internal key`);
  }
}
