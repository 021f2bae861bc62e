import { Injectable } from '@nestjs/common';
import { HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthChecks } from '@sandbox/shared';
import { RedisRepository } from './redis.repository';

/** `/health` answers 503 while Redis does not answer a PING within a second. */
@Injectable()
export class RedisHealthChecks implements HealthChecks {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly redis: RedisRepository,
  ) {}

  checks(): HealthIndicatorFunction[] {
    return [
      async () => {
        const check = this.indicator.check('redis');
        try {
          await Promise.race([this.redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 1000 ms')), 1_000).unref())]);
          return check.up();
        } catch (error) {
          return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
        }
      },
    ];
  }
}
