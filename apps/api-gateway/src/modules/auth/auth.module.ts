import { Module } from '@nestjs/common';
import { ApiKeyAuthGuard } from './api-key-auth.guard';
import { ApiKeyThrottlerGuard } from './api-key-throttler.guard';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysResolver } from './api-keys.resolver';
import { ApiKeysService } from './api-keys.service';

/** API keys, the guard behind `@Authenticated()` and `@CurrentUser()`. Import it to use them. */
@Module({
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyAuthGuard, ApiKeyThrottlerGuard, ApiKeysResolver],
  exports: [ApiKeysService, ApiKeyAuthGuard, ApiKeyThrottlerGuard],
})
export class AuthModule {}
