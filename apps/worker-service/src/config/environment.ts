import { IsString, Matches } from 'class-validator';
import { BaseEnvironment } from '@sandbox/shared';

export class WorkerEnvironment extends BaseEnvironment {
  override PORT = 4001;

  @IsString({ message: 'REDIS_URL is required' })
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL!: string;
}
