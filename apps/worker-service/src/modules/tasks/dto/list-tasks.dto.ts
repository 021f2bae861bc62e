import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TaskStatus } from '@sandbox/contracts';
import { PageQueryDto } from '@sandbox/shared';
import { OWNER_ID_PATTERN } from './create-task.dto';

const STATUS = Object.values(TaskStatus).join('|');

export class ListTasksDto extends PageQueryDto {
  @ApiPropertyOptional({ description: `one status, or several separated by commas (${Object.values(TaskStatus).join(', ')})`, example: 'processing,retrying' })
  @IsOptional()
  @Matches(new RegExp(`^(${STATUS})(,(${STATUS}))*$`), { message: `status must be one or more (comma-separated) of ${Object.values(TaskStatus).join(', ')}` })
  status?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(OWNER_ID_PATTERN, { message: 'ownerId must be 1-128 characters of A-Z a-z 0-9 _ . : @ -' })
  ownerId?: string;
}
