import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SandboxStatus } from '@sandbox/contracts';
import { ContainerState, DockerRepository } from '../../repositories/docker.repository';
import { WorkspaceRepository } from '../../repositories/workspace.repository';
import { ContainerMonitor, deathReason } from './container-monitor';
import { SessionStateMachine } from './session-state-machine';
import { SessionRecord, SessionsRepository } from './sessions.repository';
import { WarmPool } from './warm-pool';

export interface ReconcileReport {
  reattached: string[];
  removedOrphans: string[];
  failed: string[];
  started: string[];
  /** Records brought in line with a container found frozen (or thawed) by someone else, or by a crash mid-pause. */
  paused: string[];
  /** Sessions whose workspace filesystem was not mounted (host reboot) and was mounted again. */
  remounted: string[];
}

/**
 * Runs before the manager serves requests: makes SQLite and Docker agree (Docker's view of a
 * container wins). Running containers are reattached untouched; labelled containers without a live
 * record are removed; records whose container vanished become `error` and the gateway is told.
 */
@Injectable()
export class SessionsReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(SessionsReconciler.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly state: SessionStateMachine,
    private readonly docker: DockerRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly monitor: ContainerMonitor,
    private readonly pool: WarmPool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      const report = await this.reconcile();
      this.logger.log({ ...report }, 'reconciled sessions with docker');
    } catch (error) {
      this.logger.error({ err: error }, 'reconciliation failed (docker unreachable?); sessions left as recorded');
    }
    // From here on, Docker's events (and the periodic sweep) keep the records true.
    this.monitor.start();
    // Only now: pooled containers made before the reconciliation would have been taken for orphans.
    await this.pool.start();
  }

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { reattached: [], removedOrphans: [], failed: [], started: [], paused: [], remounted: [] };
    const containers = await this.docker.listManagedContainers();
    const records = new Map(this.sessions.listAll().map((r) => [r.sessionId, r]));
    const owned = new Map<string, ContainerState>();
    for (const container of containers) {
      const record = container.sessionId ? records.get(container.sessionId) : undefined;
      const belongs = record && record.status !== SandboxStatus.Removed && (!record.containerId || record.containerId === container.id);
      if (!belongs) {
        await this.docker.removeContainer(container.id);
        report.removedOrphans.push(container.name);
        continue;
      }
      owned.set(record.sessionId, container);
    }
    for (const record of records.values()) {
      if (record.status === SandboxStatus.Removed) {
        await this.workspaces.remove(record.sessionId); // finishes an interrupted delete
        continue;
      }
      await this.remountWorkspace(record.sessionId, report);
      await this.reconcileOne(record, owned.get(record.sessionId), report);
    }
    return report;
  }

  /** Before any container of the session starts, and so git sees the files of a stopped session too. */
  private async remountWorkspace(id: string, report: ReconcileReport): Promise<void> {
    try {
      if (await this.workspaces.remount(id)) report.remounted.push(id);
    } catch (error) {
      // Not fatal here: starting the session tries again and reports the failure to its caller.
      this.logger.error({ err: error, sessionId: id }, 'could not mount the workspace filesystem again');
    }
  }

  private async reconcileOne(record: SessionRecord, container: ContainerState | undefined, report: ReconcileReport): Promise<void> {
    const id = record.sessionId;
    if (record.status === SandboxStatus.Error) return;
    if (!container) {
      const reason = record.status === SandboxStatus.Creating ? 'manager restarted before the sandbox was created' : 'sandbox container vanished';
      this.state.transition(id, SandboxStatus.Error, { reason });
      report.failed.push(id);
      return;
    }
    if (record.status === SandboxStatus.Creating) {
      // Interrupted after the container was created: finish the job with that same container.
      await this.docker.startContainer(container.id);
      this.state.transition(id, SandboxStatus.Running, { containerId: container.id });
      report.started.push(id);
      return;
    }
    if (container.paused) {
      // Frozen: a crash between the pause and its record, or a paused session as recorded.
      if (record.status === SandboxStatus.Running) {
        this.state.transition(id, SandboxStatus.Paused);
        report.paused.push(id);
      } else if (record.status === SandboxStatus.Paused) report.reattached.push(id);
      else {
        await this.docker.unpauseContainer(container.id);
        this.state.transition(id, SandboxStatus.Running, { containerId: container.id });
        report.started.push(id);
      }
      return;
    }
    if (container.running && record.status === SandboxStatus.Running) {
      if (!record.containerId) this.sessions.update(id, { containerId: container.id });
      report.reattached.push(id);
      return;
    }
    if (container.running) {
      this.state.transition(id, SandboxStatus.Running, { containerId: container.id });
      report.started.push(id);
    } else if (record.status === SandboxStatus.Running || record.status === SandboxStatus.Paused) {
      // It died while nobody watched: recorded like a death seen live (docs/lifecycle.md).
      const reason = deathReason(await this.docker.containerExit(container.id));
      this.state.transition(id, SandboxStatus.Error, { reason, containerId: container.id });
      report.failed.push(id);
    }
  }
}
