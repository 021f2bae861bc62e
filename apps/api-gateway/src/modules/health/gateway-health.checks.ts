import { Injectable } from '@nestjs/common';
import { HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { ContainerManagerClient, WorkerClient } from '@sandbox/clients';
import type { HealthChecks } from '@sandbox/shared';
import { DatabaseHealthRepository } from '../../database/database-health.repository';

/** The gateway is healthy only while its database and the services it calls answer too (docs/api.md, Conventions of every service). */
@Injectable()
export class GatewayHealthChecks implements HealthChecks {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly database: DatabaseHealthRepository,
    private readonly manager: ContainerManagerClient,
    private readonly worker: WorkerClient,
  ) {}

  checks(): HealthIndicatorFunction[] {
    return [
      () => this.probe('database', () => this.database.ping()),
      () => this.probe('containerManager', () => this.manager.health()),
      () => this.probe('worker', () => this.worker.health()),
    ];
  }

  private async probe(key: string, ping: () => Promise<unknown>) {
    const check = this.indicator.check(key);
    try {
      await ping();
      return check.up();
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}

