import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsInt, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { WEBHOOK_MAX_EVENT_PATTERNS, WEBHOOK_URL_MAX_LENGTH, WebhookErrors } from '@sandbox/contracts';
import { MAX_PAGE_LIMIT, MAX_PAGE_OFFSET, PAGE_LIMIT_MESSAGE, PAGE_OFFSET_MESSAGE } from '@sandbox/shared';

@InputType()
export class CreateWebhookInput {
  @Field({ description: 'An absolute http(s) URL; it must resolve to public addresses only.' })
  @IsString({ message: WebhookErrors.invalidUrl })
  @MaxLength(WEBHOOK_URL_MAX_LENGTH, { message: WebhookErrors.urlTooLong })
  url!: string;

  @Field(() => [String], { description: 'Event types (session.created, run.completed, ...), groups (session.*) or *.' })
  @ArrayMinSize(1, { message: WebhookErrors.events })
  @ArrayMaxSize(WEBHOOK_MAX_EVENT_PATTERNS, { message: WebhookErrors.events })
  @IsString({ each: true, message: WebhookErrors.events })
  @MaxLength(64, { each: true, message: WebhookErrors.events })
  events!: string[];
}

@ArgsType()
export class CreateWebhookArgs {
  @Field(() => CreateWebhookInput)
  @ValidateNested()
  @Type(() => CreateWebhookInput)
  input!: CreateWebhookInput;
}

@ArgsType()
export class WebhookIdArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'id must be a UUID' })
  id!: string;
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'webhookId must be a UUID' })
  webhookId!: string;

  @Field(() => Int, { nullable: true, defaultValue: 20 })
  @IsInt({ message: PAGE_LIMIT_MESSAGE })
  @Min(1, { message: PAGE_LIMIT_MESSAGE })
  @Max(MAX_PAGE_LIMIT, { message: PAGE_LIMIT_MESSAGE })
  limit: number = 20;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  @IsInt({ message: PAGE_OFFSET_MESSAGE })
  @Min(0, { message: PAGE_OFFSET_MESSAGE })
  @Max(MAX_PAGE_OFFSET, { message: PAGE_OFFSET_MESSAGE })
  offset: number = 0;
}
