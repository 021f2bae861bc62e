import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { PlatformEventsService } from './platform-events.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WebhookTransportRepository } from './webhook-transport.repository';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksResolver } from './webhooks.resolver';
import { WebhooksService } from './webhooks.service';

/** Webhooks (docs/webhooks.md). Other modules publish events through PlatformEventsService only. */
@Module({
  imports: [AuthModule],
  providers: [WebhooksRepository, WebhookTransportRepository, WebhookSecretsService, WebhookDispatcher, PlatformEventsService, WebhooksService, WebhooksResolver],
  exports: [PlatformEventsService],
})
export class WebhooksModule {}
