import { Module } from '@nestjs/common';
import { RepositoriesModule } from '../../repositories/repositories.module';
import { SessionsModule } from '../sessions/sessions.module';
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
  imports: [SessionsModule, RepositoriesModule],
  controllers: [PreviewsController],
  providers: [PreviewsRepository, PreviewsService, PreviewProxy, PreviewGateway],
  exports: [PreviewsService, PreviewGateway],
})
export class PreviewsModule {}
