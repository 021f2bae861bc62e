import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Largest page size of every listing (REST and GraphQL). */
export const MAX_PAGE_LIMIT = 100;
/**
 * Largest offset of every listing (REST and GraphQL). Offsets are integers in range, so a huge one
 * is a 400 at the edge, never a value the store cannot take (Redis ranges are 64-bit integers).
 */
export const MAX_PAGE_OFFSET = 1_000_000;
export const PAGE_LIMIT_MESSAGE = `limit must be an integer between 1 and ${MAX_PAGE_LIMIT}`;
export const PAGE_OFFSET_MESSAGE = `offset must be an integer between 0 and ${MAX_PAGE_OFFSET}`;

/** `?limit&offset` of every paginated REST listing: limit 1–100 (default 20), offset 0–1,000,000. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: PAGE_LIMIT_MESSAGE })
  @Min(1, { message: PAGE_LIMIT_MESSAGE })
  @Max(MAX_PAGE_LIMIT, { message: PAGE_LIMIT_MESSAGE })
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_PAGE_OFFSET, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: PAGE_OFFSET_MESSAGE })
  @Min(0, { message: PAGE_OFFSET_MESSAGE })
  @Max(MAX_PAGE_OFFSET, { message: PAGE_OFFSET_MESSAGE })
  offset?: number;
}
