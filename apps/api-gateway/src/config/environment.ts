import { IsString, Matches } from 'class-validator';
import { BaseEnvironment } from '@sandbox/shared';

export class GatewayEnvironment extends BaseEnvironment {
  override PORT = 4000;

  @IsString({ message: 'DATABASE_URL is required' })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgresql:// URL' })
  DATABASE_URL!: string;
}
