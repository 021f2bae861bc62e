import { Injectable } from '@nestjs/common';
import { HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthChecks } from '@sandbox/shared';
import { DatabaseService } from '../../database/database.service';
import { DockerRepository } from '../../repositories/docker.repository';
import { OutboxService } from '../outbox/outbox.service';

/** The manager is healthy while the Docker engine answers and its SQLite database can be queried. */
@Injectable()
export class ManagerHealthChecks implements HealthChecks {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly docker: DockerRepository,
    private readonly database: DatabaseService,
    private readonly outbox: OutboxService,
  ) {}

  checks(): HealthIndicatorFunction[] {
    return [() => this.probeDocker(), () => this.probeSqlite()];
  }

  private async probeDocker() {
    const check = this.indicator.check('docker');
    try {
      await this.docker.ping();
      return check.up();
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }

  private async probeSqlite() {
    const check = this.indicator.check('sqlite');
    try {
      this.database.db.prepare('SELECT 1').get();
      return check.up({ outboxPending: this.outbox.pendingCount() });
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unavailable' });
    }
  }
}
