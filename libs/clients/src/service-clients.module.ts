import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ContainerManagerClient } from './container-manager.client';
import { GatewayClient } from './gateway.client';
import { ServiceClientOptions } from './http-client';
import { WorkerClient } from './worker.client';

function optionsFor(config: ConfigService, urlVariable: string): ServiceClientOptions {
  return {
    baseUrl: config.getOrThrow<string>(urlVariable),
    internalKey: config.getOrThrow<string>('INTERNAL_SERVICE_KEY'),
    timeoutMs: config.get<number>('SERVICE_TIMEOUT_MS'),
  };
}

@Injectable()
class ClientsShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(GatewayClient) private readonly gateway: GatewayClient,
    @Inject(ContainerManagerClient) private readonly manager: ContainerManagerClient,
    @Inject(WorkerClient) private readonly worker: WorkerClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.gateway.close(), this.manager.close(), this.worker.close()]);
  }
}

/** The typed clients of the three services, configured from the validated environment. */
@Global()
@Module({
  providers: [
    { provide: GatewayClient, inject: [ConfigService], useFactory: (c: ConfigService) => new GatewayClient(optionsFor(c, 'API_GATEWAY_URL')) },
    {
      provide: ContainerManagerClient,
      inject: [ConfigService],
      useFactory: (c: ConfigService) => new ContainerManagerClient(optionsFor(c, 'CONTAINER_MANAGER_URL')),
    },
    { provide: WorkerClient, inject: [ConfigService], useFactory: (c: ConfigService) => new WorkerClient(optionsFor(c, 'WORKER_SERVICE_URL')) },
    ClientsShutdown,
  ],
  exports: [GatewayClient, ContainerManagerClient, WorkerClient],
})
export class ServiceClientsModule {}
