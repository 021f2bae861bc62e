import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { WorkerConfig } from '../../config/worker-config';

/**
 * The worker's own Redis connection (task and job records, events, the cancel channel), separate from
 * BullMQ's. Commands wait through a short Redis restart instead of failing at once.
 */
@Injectable()
export class RedisRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisRepository.name);
  readonly client: Redis;
  private readonly extra = new Set<Redis>();

  constructor(config: WorkerConfig) {
    this.client = RedisRepository.connect(config.redisUrl);
    this.client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
  }

  static connect(url: string): Redis {
    return new Redis(url, { maxRetriesPerRequest: 40, retryStrategy: (times) => Math.min(times * 100, 1_000), lazyConnect: false });
  }

  /** A dedicated connection (blocking reads, pub/sub), closed with the app. */
  duplicate(): Redis {
    const connection = this.client.duplicate();
    connection.on('error', (error: Error) => this.logger.debug(`redis (dedicated): ${error.message}`));
    this.extra.add(connection);
    connection.once('end', () => this.extra.delete(connection));
    return connection;
  }

  release(connection: Redis): void {
    this.extra.delete(connection);
    connection.disconnect();
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const connection of this.extra) connection.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
