import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { WebhookDeliveryStatus } from '@sandbox/contracts';

/** GraphQL names are the values themselves (PENDING, ...), not the contract enum's keys. */
export const WebhookDeliveryStatusEnum = {
  PENDING: WebhookDeliveryStatus.Pending,
  DELIVERED: WebhookDeliveryStatus.Delivered,
  FAILED: WebhookDeliveryStatus.Failed,
} as const satisfies Record<WebhookDeliveryStatus, WebhookDeliveryStatus>;

registerEnumType(WebhookDeliveryStatusEnum, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING until a 2xx answer (DELIVERED) or the last allowed attempt (FAILED).',
});

@ObjectType('Webhook', { description: 'An endpoint that receives signed platform events of its owner (Standard Webhooks).' })
export class WebhookModel {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field(() => [String])
  events!: string[];

  @Field()
  createdAt!: Date;
}

@ObjectType('CreatedWebhook', { description: 'The new webhook with its signing secret, shown this once.' })
export class CreatedWebhookModel extends WebhookModel {
  @Field({ description: 'whsec_<base64>: verify deliveries with it (Standard Webhooks); it is never shown again.' })
  secret!: string;
}

@ObjectType('WebhookDelivery', { description: 'One event sent (or being sent) to one webhook, with its outcome.' })
export class WebhookDeliveryModel {
  @Field(() => ID, { description: 'Also the webhook-id header: the same on every attempt, so receivers can drop duplicates.' })
  id!: string;

  @Field()
  eventType!: string;

  @Field(() => WebhookDeliveryStatusEnum)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last answer; null when none came.' })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (HTTP status, timeout, refused address, ...).' })
  lastError!: string | null;

  @Field(() => String, { nullable: true, description: 'The start of the last answer body (at most 512 bytes).' })
  responseExcerpt!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null unless PENDING.' })
  nextAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;
}
