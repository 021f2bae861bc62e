import { Module } from '@nestjs/common';
import { ApiKeyAuthGuard } from './api-key-auth.guard';
import { ApiKeyConnectionsService } from './api-key-connections.service';
import { ApiKeyRateLimiter } from './api-key-rate-limiter';
import { ApiKeyThrottlerGuard } from './api-key-throttler.guard';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysResolver } from './api-keys.resolver';
import { ApiKeysService } from './api-keys.service';

/** API keys, the registry of connections each key holds open, the guard behind `@Authenticated()` and `@CurrentUser()`. Import it to use them. */
@Module({
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyConnectionsService, ApiKeyRateLimiter, ApiKeyAuthGuard, ApiKeyThrottlerGuard, ApiKeysResolver],
  exports: [ApiKeysService, ApiKeyConnectionsService, ApiKeyRateLimiter, ApiKeyAuthGuard, ApiKeyThrottlerGuard],
})
export class AuthModule {}
