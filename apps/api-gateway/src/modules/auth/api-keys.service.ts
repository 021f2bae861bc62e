import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ErrorCode } from '@sandbox/contracts';
import { DomainException, FailureBudget } from '@sandbox/shared';
import { ApiKeyConnectionsService } from './api-key-connections.service';
import { bearerToken, displayPrefix, generateApiKey, hashApiKey } from './api-key';
import { ApiKeyRecord, ApiKeysRepository } from './api-keys.repository';
import type { AuthenticatedUser } from './auth.types';
import { GatewayConfig } from '../../config/gateway-config';

export const DEV_USER = 'dev';
const TOUCH_INTERVAL_MS = 60_000;

export interface IssuedApiKey {
  /** The key itself: shown once, only its hash is stored. */
  key: string;
  record: ApiKeyRecord;
}

/** Issues, checks and revokes API keys; makes sure a development key exists on first start. */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeysService.name);
  /** When each key's `last_used_at` was last written, so a busy key costs one write a minute, not one per request. */
  private readonly touched = new Map<string, number>();
  /** Failed authentications per client address: key guessing is answered 429 before any lookup. */
  private readonly failures: FailureBudget;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly config: GatewayConfig,
    private readonly connections: ApiKeyConnectionsService,
  ) {
    this.failures = new FailureBudget(config.authFailures.limit, config.authFailures.windowMs);
  }

  async onApplicationBootstrap(): Promise<void> {
    const devKey = this.config.devApiKey;
    if (devKey) {
      await this.ensureKey(DEV_USER, devKey, 'development (DEV_API_KEY)');
      return;
    }
    if ((await this.keys.countKeys()) > 0) return;
    const { key } = await this.issue(DEV_USER, 'development');
    // Printed once, on the first start of an empty database: the only time the key is visible.
    this.logger.warn(`No API key existed; created a development key for user "${DEV_USER}": ${key}`);
  }

  /**
   * The user behind an `Authorization` header value; UNAUTHENTICATED when missing, unknown or revoked.
   * Each failure counts against the client `address`; once its budget is spent the address gets
   * RATE_LIMITED (429) without its key being looked at, until the window ends.
   */
  async authenticate(authorization: unknown, address: string): Promise<AuthenticatedUser> {
    this.failures.assertAllowed(address);
    const key = bearerToken(authorization);
    const user = key ? await this.keys.findActiveByHash(hashApiKey(key)) : null;
    if (!user) {
      this.failures.recordFailure(address);
      throw new DomainException(ErrorCode.Unauthorized, 'A valid API key is required (Authorization: Bearer <key>)');
    }
    this.touch(user.apiKeyId);
    return user;
  }

  async issue(userName: string, keyName: string): Promise<IssuedApiKey> {
    const key = generateApiKey();
    return { key, record: await this.ensureKey(userName, key, keyName) };
  }

  list(user: AuthenticatedUser): Promise<ApiKeyRecord[]> {
    return this.keys.listKeys(user.id);
  }

  async revoke(user: AuthenticatedUser, keyId: string): Promise<ApiKeyRecord> {
    const record = await this.keys.revoke(user.id, keyId);
    if (!record) throw DomainException.notFound(`API key ${keyId} not found`);
    // Requests check the key each time; open subscriptions were checked once, so end them now.
    this.connections.closeAll(record.id);
    return record;
  }

  private async ensureKey(userName: string, key: string, keyName: string): Promise<ApiKeyRecord> {
    const userId = await this.keys.ensureUser(userName);
    const keyHash = hashApiKey(key);
    await this.keys.insertKey({ userId, name: keyName, prefix: displayPrefix(key), keyHash });
    const record = await this.keys.findByHash(keyHash);
    if (!record || record.userId !== userId) throw new Error(`the key for ${userName} belongs to another user`);
    return record;
  }

  private touch(apiKeyId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(apiKeyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touched.set(apiKeyId, now);
    this.keys.touch(apiKeyId, new Date(now)).catch((error: unknown) => this.logger.warn({ err: error }, 'could not record key use'));
  }
}
