import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { WorkerEnvironment } from './environment';

/** Typed access to the validated environment; nothing else in the worker reads process.env. */
@Injectable()
export class WorkerConfig {
  constructor(private readonly config: ConfigService<WorkerEnvironment, true>) {}

  get<K extends keyof WorkerEnvironment>(key: K): WorkerEnvironment[K] {
    return this.config.get(key, { infer: true });
  }

  get redisUrl(): string {
    return this.get('REDIS_URL');
  }

  get prefix(): string {
    return this.get('WORKER_QUEUE_PREFIX');
  }
}
