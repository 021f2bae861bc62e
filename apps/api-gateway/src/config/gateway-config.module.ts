import { Global, Module } from '@nestjs/common';
import { GatewayConfig } from './gateway-config';

/** The one GatewayConfig of the app (it needs the global ConfigModule of `serviceConfigModule(GatewayEnvironment)`). */
@Global()
@Module({ providers: [GatewayConfig], exports: [GatewayConfig] })
export class GatewayConfigModule {}
