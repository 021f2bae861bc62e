import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Min } from 'class-validator';
import { BaseEnvironment } from '@sandbox/shared';

export class ManagerEnvironment extends BaseEnvironment {
  override PORT = 4002;

  @IsString({ message: 'SANDBOX_IMAGE must be an image name' })
  @Matches(/^[a-z0-9][a-z0-9._\/:@-]{0,254}$/, { message: 'SANDBOX_IMAGE must be a docker image reference' })
  SANDBOX_IMAGE = 'sandbox-base:local';

  /** Where workspaces, git metadata and the SQLite database live. */
  @IsString({ message: 'DATA_DIR must be a path' })
  @Matches(/^\//, { message: 'DATA_DIR must be an absolute path' })
  DATA_DIR!: string;

  @IsString({ message: 'PREVIEW_DOMAIN must be a domain name' })
  @Matches(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, { message: 'PREVIEW_DOMAIN must be a lower-case domain name' })
  PREVIEW_DOMAIN = 'preview.localhost';

  @IsString({ message: 'DOCKER_HOST must be a unix:// or tcp:// address' })
  @Matches(/^(unix|tcp|http):\/\/\S+$/, { message: 'DOCKER_HOST must be a unix:// or tcp:// address' })
  DOCKER_HOST = 'unix:///var/run/docker.sock';

  @Type(() => Number)
  @IsInt({ message: 'GATEWAY_NOTIFY_MAX_DELAY_MS must be an integer' })
  @Min(100, { message: 'GATEWAY_NOTIFY_MAX_DELAY_MS must be at least 100' })
  GATEWAY_NOTIFY_MAX_DELAY_MS = 30_000;
}
