import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SecretSealer } from '@sandbox/shared';
import { WebhooksRepository } from './webhooks.repository';
import { GatewayConfig } from '../../config/gateway-config';

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
    config: GatewayConfig,
  ) {
    this.sealer = new SecretSealer(config.internalServiceKey, 'webhook-signing-secrets');
  }

  /** `whsec_` + 32 random bytes in base64, the Standard Webhooks form. */
  generate(): { secret: string; sealed: string } {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    return { secret, sealed: this.sealer.seal(secret) };
  }

  open(sealed: string): string {
    return this.sealer.open(sealed);
  }

  /** The key ids this gateway can open: it only takes deliveries of webhooks sealed under one of them. */
  heldKeyIds(): string[] {
    return this.sealer.keyIds();
  }

  async onApplicationBootstrap(): Promise<void> {
    let resealed = 0;
    let unreadable = 0;
    for (const { id, secretSealed } of await this.webhooks.listSealedSecrets()) {
      if (this.sealer.isCurrent(secretSealed)) continue;
      let secret: string;
      try {
        secret = this.sealer.open(secretSealed);
      } catch {
        unreadable++;
        continue;
      }
      await this.webhooks.replaceSealedSecret(id, secretSealed, this.sealer.seal(secret));
      resealed++;
    }
    if (resealed > 0) this.logger.log(`re-sealed ${resealed} webhook secret(s) under the current internal key`);
    if (unreadable > 0) {
      this.logger.warn(`${unreadable} webhook secret(s) are sealed under an internal key this gateway does not hold; their deliveries are left to gateways that hold it`);
    }
  }
}
