import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { TaskStatus } from '@sandbox/contracts';
import { OWNER_ID_PATTERN } from './create-task.dto';

const STATUS = Object.values(TaskStatus).join('|');

export class ListTasksDto {
  @ApiPropertyOptional({ description: `one status, or several separated by commas (${Object.values(TaskStatus).join(', ')})`, example: 'processing,retrying' })
  @IsOptional()
  @Matches(new RegExp(`^(${STATUS})(,(${STATUS}))*$`), { message: `status must be one or more (comma-separated) of ${Object.values(TaskStatus).join(', ')}` })
  status?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be between 1 and 100' })
  @Max(100, { message: 'limit must be between 1 and 100' })
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be an integer' })
  @Min(0, { message: 'offset must be at least 0' })
  offset?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(OWNER_ID_PATTERN, { message: 'ownerId must be 1-128 characters of A-Z a-z 0-9 _ . : @ -' })
  ownerId?: string;
}
