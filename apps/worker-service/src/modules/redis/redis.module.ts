import { Global, Module } from '@nestjs/common';
import { RedisRepository } from './redis.repository';

@Global()
@Module({
  providers: [RedisRepository],
  exports: [RedisRepository],
})
export class RedisModule {}
