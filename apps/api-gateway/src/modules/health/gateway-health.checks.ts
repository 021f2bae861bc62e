import { Injectable } from '@nestjs/common';
import { HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { ContainerManagerClient, ServiceHttpClient, WorkerClient } from '@sandbox/clients';
import type { HealthChecks } from '@sandbox/shared';

/** The gateway is healthy only while the services it calls answer too (SPEC §5). */
@Injectable()
export class GatewayHealthChecks implements HealthChecks {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly manager: ContainerManagerClient,
    private readonly worker: WorkerClient,
  ) {}

  checks(): HealthIndicatorFunction[] {
    return [() => this.probe('containerManager', this.manager), () => this.probe('worker', this.worker)];
  }

  private async probe(key: string, client: ServiceHttpClient & { health(): Promise<unknown> }) {
    const check = this.indicator.check(key);
    try {
      await client.health();
      return check.up();
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}
