import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { SandboxStatus } from '@sandbox/contracts';
import { PeriodicTask } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { ContainerEvent, ContainerExit, DockerRepository, EventWatch } from '../../repositories/docker.repository';
import { SessionStateMachine } from './session-state-machine';
import { SessionsRepository } from './sessions.repository';

/**
 * `docker rm -f` reports `die` then `destroy` a few milliseconds apart: a `die` is looked at after this
 * pause, so a removal is reported as `removed` rather than as the kill that preceded it.
 */
const DIE_SETTLE_MS = 250;

/** Why a sandbox is gone, as the session's error reason: `removed`, `OOMKilled` or `exited with code N`. */
export function deathReason(exit: ContainerExit | null): string {
  if (!exit || exit.removing) return 'removed';
  return exit.oomKilled ? 'OOMKilled' : `exited with code ${exit.exitCode}`;
}

const LIVE = new Set<SandboxStatus>([SandboxStatus.Running, SandboxStatus.Paused]);

/**
 * Keeps the records true when a sandbox dies on its own (docs/lifecycle.md): Docker's `die` and
 * `destroy` events of this manager's containers, and a periodic sweep of every live session as the
 * safety net (events missed while the stream was down, or a daemon restart), make a running or paused
 * session whose container no longer runs `error` with the reason (`OOMKilled`, `exited with code N`,
 * `removed`); the state machine's outbox message tells the gateway. Stops, pauses and deletes hold the
 * session's lifecycle lock and change the status first, so their own container events change nothing.
 */
@Injectable()
export class ContainerMonitor implements OnModuleDestroy {
  private readonly logger = new Logger(ContainerMonitor.name);
  private readonly settling = new Map<string, NodeJS.Timeout>();
  private watch: EventWatch | undefined;
  private readonly sweeps = new PeriodicTask(() => this.sweepOnce(), { name: ContainerMonitor.name, intervalMs: () => this.config.reconcileIntervalMs });

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly state: SessionStateMachine,
    private readonly docker: DockerRepository,
    private readonly config: ManagerConfig,
  ) {}

  /** Called once the boot reconciliation made SQLite and Docker agree. */
  start(): void {
    if (this.watch) return;
    this.watch = this.docker.watchContainerEvents(['die', 'oom', 'destroy'], (event) => this.onEvent(event), () => void this.sweep());
    this.sweeps.start();
  }

  /** Stops watching and sweeping, and waits for the sweep in flight, before the database closes. */
  async onModuleDestroy(): Promise<void> {
    this.watch?.close();
    this.watch = undefined;
    for (const timer of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    await this.sweeps.stop();
  }

  /**
   * Checks a session against its container and records a death; true when the session does not run
   * (any more). Exec and file calls that failed on a sandbox ask this to answer 409 instead of a 5xx.
   */
  async check(sessionId: string, containerId?: string): Promise<boolean> {
    return this.state.exclusive(sessionId, async () => {
      const session = this.sessions.find(sessionId);
      if (!session) return true;
      if (!LIVE.has(session.status)) return true;
      if (containerId && session.containerId && session.containerId !== containerId) return false; // an earlier container of the session
      const exit = await this.docker.containerExit(session.containerId ?? session.containerName);
      if (exit?.running && !exit.removing) return false;
      const reason = deathReason(exit);
      this.state.transition(sessionId, SandboxStatus.Error, { reason });
      this.logger.warn({ sessionId, containerId: session.containerId, reason }, 'sandbox container died');
      return true;
    });
  }

  /** Every live session whose container is missing or stopped is checked (and recorded); overlapping calls share the sweep under way. */
  sweep(): Promise<void> {
    return this.sweeps.run();
  }

  private async sweepOnce(): Promise<void> {
    try {
      const containers = new Map((await this.docker.listManagedContainers()).map((container) => [container.id, container]));
      for (const session of this.sessions.list()) {
        if (!LIVE.has(session.status) || !session.containerId) continue;
        if (containers.get(session.containerId)?.running) continue;
        await this.check(session.sessionId);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'sweep of sandbox containers failed (docker unreachable?)');
    }
  }

  private onEvent(event: ContainerEvent): void {
    const sessionId = event.sessionId;
    if (!sessionId) return;
    switch (event.action) {
      case 'oom':
        // A process of the sandbox was OOM-killed; the sandbox lives on unless that was its init (a `die` follows).
        this.logger.warn({ sessionId, containerId: event.containerId }, 'a process of the sandbox was killed for lack of memory');
        return;
      case 'die': {
        clearTimeout(this.settling.get(event.containerId));
        const timer = setTimeout(() => {
          this.settling.delete(event.containerId);
          this.checkQuietly(sessionId, event.containerId);
        }, DIE_SETTLE_MS);
        timer.unref();
        this.settling.set(event.containerId, timer);
        return;
      }
      case 'destroy':
        clearTimeout(this.settling.get(event.containerId));
        this.settling.delete(event.containerId);
        this.checkQuietly(sessionId, event.containerId);
        return;
    }
  }

  private checkQuietly(sessionId: string, containerId: string): void {
    this.check(sessionId, containerId).catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'could not check a sandbox container after a Docker event'));
  }
}
