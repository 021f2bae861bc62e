import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { WebhookDeliveryStatus } from '@sandbox/contracts';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { CreateWebhookArgs, WebhookDeliveriesArgs, WebhookIdArgs } from './dto/webhook.inputs';
import { CreatedWebhookModel, WebhookDeliveryModel, WebhookModel } from './models/webhook.model';
import { WebhooksService } from './webhooks.service';

/** Webhooks over GraphQL (docs/webhooks.md): thin, every field scoped to the caller's own webhooks. */
@Resolver(() => WebhookModel)
@Authenticated()
export class WebhooksResolver {
  constructor(private readonly service: WebhooksService) {}

  @Query(() => [WebhookModel])
  webhooks(@CurrentUser() user: AuthenticatedUser): Promise<WebhookModel[]> {
    return this.service.list(user);
  }

  @Mutation(() => CreatedWebhookModel, { description: 'The secret is in this answer only: store it to verify deliveries.' })
  createWebhook(@CurrentUser() user: AuthenticatedUser, @Args() { input }: CreateWebhookArgs): Promise<CreatedWebhookModel> {
    return this.service.create(user, input);
  }

  @Mutation(() => Boolean, { description: 'Its deliveries still queued are dropped.' })
  deleteWebhook(@CurrentUser() user: AuthenticatedUser, @Args() { id }: WebhookIdArgs): Promise<boolean> {
    return this.service.delete(user, id);
  }

  @Query(() => [WebhookDeliveryModel], { description: 'Newest first, with the outcome of the last attempt.' })
  async webhookDeliveries(@CurrentUser() user: AuthenticatedUser, @Args() { webhookId, limit, offset }: WebhookDeliveriesArgs): Promise<WebhookDeliveryModel[]> {
    return (await this.service.deliveries(user, webhookId, limit, offset)).map((delivery) => ({
      ...delivery,
      nextAttemptAt: delivery.status === WebhookDeliveryStatus.Pending ? delivery.nextAttemptAt : null,
    }));
  }
}
