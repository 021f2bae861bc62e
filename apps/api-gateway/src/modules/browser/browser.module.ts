import { Module } from '@nestjs/common';
import { OriginPolicy } from './origin-policy';
import { WebSocketOriginGate } from './websocket-origin.gate';
import { GatewayConfig } from '../../config/gateway-config';

/** Browser clients: the allowed origins (CORS_ORIGINS) and the WebSocket origin check. See browser-access.ts for CORS and the explorer. */
@Module({
  providers: [{ provide: OriginPolicy, inject: [GatewayConfig], useFactory: (config: GatewayConfig) => new OriginPolicy(config.corsOrigins) }, WebSocketOriginGate],
  exports: [OriginPolicy],
})
export class BrowserModule {}
