import { ArgsType, Field, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_PAGE_LIMIT, MAX_PAGE_OFFSET, PAGE_LIMIT_MESSAGE, PAGE_OFFSET_MESSAGE } from '@sandbox/shared';

/** `limit` and `offset` of every paginated GraphQL list (the bounds are the REST routes' too: libs/shared). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  @Type(() => Number)
  @IsInt({ message: PAGE_LIMIT_MESSAGE })
  @Min(1, { message: PAGE_LIMIT_MESSAGE })
  @Max(MAX_PAGE_LIMIT, { message: PAGE_LIMIT_MESSAGE })
  limit: number = 20;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  @Type(() => Number)
  @IsInt({ message: PAGE_OFFSET_MESSAGE })
  @Min(0, { message: PAGE_OFFSET_MESSAGE })
  @Max(MAX_PAGE_OFFSET, { message: PAGE_OFFSET_MESSAGE })
  offset: number = 0;
}
