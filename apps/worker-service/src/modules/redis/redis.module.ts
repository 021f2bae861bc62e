import { Global, Module } from '@nestjs/common';
import { WorkerConfig } from '../../config/worker-config';
import { RedisRepository } from './redis.repository';

@Global()
@Module({
  providers: [WorkerConfig, RedisRepository],
  exports: [WorkerConfig, RedisRepository],
})
export class RedisModule {}
