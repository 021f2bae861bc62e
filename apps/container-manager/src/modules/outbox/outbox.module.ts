import { Global, Module } from '@nestjs/common';
import { ManagerConfigModule } from '../../config/manager-config.module';
import { OutboxDeliveryService } from './outbox-delivery.service';
import { OutboxRetentionService } from './outbox-retention.service';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

export { OUTBOX_MIGRATIONS } from './outbox.migrations';

/** The gateway notification outbox; global so every feature can enqueue in its own transactions. */
@Global()
@Module({
  imports: [ManagerConfigModule],
  providers: [OutboxRepository, OutboxDeliveryService, OutboxRetentionService, OutboxService],
  exports: [OutboxService],
})
export class OutboxModule {}
