import { Module } from '@nestjs/common';
import { PreviewContainerRepository } from './preview-container.repository';
import { PreviewGateway } from './preview-gateway';
import { PreviewProxy } from './preview-proxy';
import { PreviewsController } from './previews.controller';
import { PreviewsRepository } from './previews.repository';
import { PreviewsService } from './previews.service';

/**
 * Preview registrations (internal REST) and the proxy. The proxy is not a controller: `PreviewGateway`
 * is attached to the HTTP server by the service description's `configure`, ahead of Express.
 */
@Module({
  controllers: [PreviewsController],
  providers: [PreviewsRepository, PreviewContainerRepository, PreviewsService, PreviewProxy, PreviewGateway],
  exports: [PreviewsService, PreviewGateway],
})
export class PreviewsModule {}
