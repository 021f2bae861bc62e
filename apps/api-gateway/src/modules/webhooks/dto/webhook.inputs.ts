import { ArgsType, Field, ID, InputType } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { WEBHOOK_MAX_EVENT_PATTERNS, WEBHOOK_URL_MAX_LENGTH, WebhookErrors } from '@sandbox/contracts';
import { PageArgs } from '../../graphql/page.args';

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
export class WebhookDeliveriesArgs extends PageArgs {
  @Field(() => ID)
  @IsUUID(undefined, { message: 'webhookId must be a UUID' })
  webhookId!: string;
}
