import { Global, Module } from '@nestjs/common';
import { ManagerConfig } from './manager-config';

@Global()
@Module({ providers: [ManagerConfig], exports: [ManagerConfig] })
export class ManagerConfigModule {}
