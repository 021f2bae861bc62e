import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { OriginPolicy } from './origin-policy';
import { WebSocketOriginGate } from './websocket-origin.gate';

/** Browser clients: the allowed origins (CORS_ORIGINS) and the WebSocket origin check. See browser-access.ts for CORS and the explorer. */
@Module({
  providers: [{ provide: OriginPolicy, inject: [ConfigService], useFactory: (config: ConfigService) => new OriginPolicy(config.getOrThrow<string>('CORS_ORIGINS')) }, WebSocketOriginGate],
  exports: [OriginPolicy],
})
export class BrowserModule {}
