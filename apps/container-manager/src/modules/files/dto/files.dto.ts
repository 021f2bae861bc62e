import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import type { MkdirRequest, MoveRequest } from '@sandbox/contracts';

export class PathQueryDto {
  @ApiProperty({ description: 'Relative to the workspace' })
  @IsString({ message: 'path is required' })
  path!: string;
}

export class OptionalPathQueryDto {
  @ApiPropertyOptional({ description: 'Relative to the workspace; default the workspace root' })
  @IsOptional()
  @IsString()
  path?: string;
}

export class MkdirDto extends PathQueryDto implements MkdirRequest {}

export class MoveDto implements MoveRequest {
  @ApiProperty()
  @IsString({ message: 'from is required' })
  from!: string;

  @ApiProperty()
  @IsString({ message: 'to is required' })
  to!: string;
}

export class WatchQueryDto extends OptionalPathQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Events of the whole tree below path (default false: path and its direct children)' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'recursive must be true or false' })
  recursive?: 'true' | 'false';
}
