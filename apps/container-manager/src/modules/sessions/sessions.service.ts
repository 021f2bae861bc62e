import { Injectable, Logger } from '@nestjs/common';
import { CreateSandboxRequest, SandboxSession, SandboxStatus, SessionLifecycleSettings } from '@sandbox/contracts';
import { AGENT_LABEL, containerName, POOL_LABEL } from '../../common/paths';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { WorkspaceRepository } from '../../repositories/workspace.repository';
import { TemplatesService } from '../templates/templates.service';
import { SANDBOX_UID, sandboxContainerSpec, sandboxHostSettings } from './container-spec';
import { SessionActivity } from './session-activity';
import { SessionEvents } from './session-events';
import { SessionStateMachine } from './session-state-machine';
import { SessionErrors } from './sessions.exception';
import { effectiveLifecycle, SessionRecord, SessionsRepository, toSession } from './sessions.repository';
import { WarmPool } from './warm-pool';

/**
 * Session lifecycle: SQLite record, host workspace and hardened container. One lifecycle operation
 * per session at a time; every status change goes through SessionStateMachine.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly state: SessionStateMachine,
    private readonly docker: DockerRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly events: SessionEvents,
    private readonly config: ManagerConfig,
    private readonly templates: TemplatesService,
    private readonly agents: SandboxAgentRepository,
    private readonly activity: SessionActivity,
    private readonly pool: WarmPool,
  ) {}

  /** Idempotent on sessionId: an existing session is returned as is (`created: false`). */
  async create(request: CreateSandboxRequest): Promise<{ session: SessionRecord; created: boolean }> {
    const id = request.sessionId;
    return this.state.exclusive(id, async () => {
      const existing = this.sessions.find(id);
      if (existing?.status === SandboxStatus.Removed) throw SessionErrors.deleted(id);
      if (existing && existing.status !== SandboxStatus.Error) return { session: existing, created: false };
      if (existing) return { session: await this.provision(existing), created: false }; // retry of a failed create
      const template = this.templates.resolveForSession(request.template, request.image);
      const cpu = request.cpu ?? this.config.defaultCpu;
      const memoryMb = request.memoryMb ?? this.config.defaultMemoryMb;
      if (cpu > this.config.maxCpu) throw SessionErrors.limit(`cpu must be at most ${this.config.maxCpu}`);
      if (memoryMb > this.config.maxMemoryMb) throw SessionErrors.limit(`memoryMb must be at most ${this.config.maxMemoryMb}`);
      const diskMb = this.diskOf(request.diskMb);
      if (!(await this.docker.imageExists(template.image))) throw SessionErrors.imageMissing(template.image);
      // Resolved again with no await before the insert: a template deleted meanwhile is not used.
      const { name, image } = this.templates.resolveForSession(template.name);
      this.sessions.insert({
        sessionId: id,
        status: SandboxStatus.Creating,
        template: name,
        image,
        containerName: containerName(id),
        cpu,
        memoryMb,
        diskMb,
        env: request.env ?? {},
        overrides: { idleTimeoutMs: request.idleTimeoutMs ?? null, pausedStopMs: request.pausedStopMs ?? null, maxLifetimeMs: request.maxLifetimeMs ?? null },
      });
      return { session: await this.provision(this.require(id)), created: true };
    });
  }

  get(id: string): SessionRecord {
    return this.require(id);
  }

  /** The contract form of a record: the lifecycle settings that apply, the latest activity, the disk quota. */
  toContract(record: SessionRecord): SandboxSession {
    const quota = this.config.workspaceQuotaMb;
    return {
      ...toSession(record, this.config.lifecycleDefaults),
      diskMb: quota > 0 ? (record.diskMb ?? quota) : null,
      lastActivityAt: this.activity.lastActivityAt(record),
    };
  }

  /** The deadlines that apply to a session (its own, or the manager's defaults); 0 = off. */
  lifecycleOf(record: SessionRecord): SessionLifecycleSettings {
    return effectiveLifecycle(record.overrides, this.config.lifecycleDefaults);
  }

  list(): SessionRecord[] {
    return this.sessions.list();
  }

  async stop(id: string): Promise<SessionRecord> {
    return this.state.exclusive(id, () => this.stopLocked(id));
  }

  /** Freezes every process of a running session (idle, or asked); a paused one is returned as is. */
  async pause(id: string): Promise<SessionRecord> {
    return this.state.exclusive(id, () => this.pauseLocked(id));
  }

  /** Thaws a paused session; a running one is returned as is. */
  async resume(id: string): Promise<SessionRecord> {
    return this.state.exclusive(id, async () => {
      const session = this.require(id);
      if (session.status === SandboxStatus.Running) return session;
      if (session.status !== SandboxStatus.Paused) throw SessionErrors.busy(id, session.status);
      if (session.containerId) await this.docker.unpauseContainer(session.containerId);
      this.activity.touch(id);
      return this.state.transition(id, SandboxStatus.Running);
    });
  }

  /**
   * Before a sandbox is used (exec, files, commands, a preview request): a paused session resumes
   * first. Anything else is left to the operation, which answers for the status it finds.
   */
  async resumeIfPaused(id: string): Promise<void> {
    if (!this.activity.isPaused(id)) return;
    try {
      await this.resume(id);
    } catch (error) {
      this.logger.warn({ err: error, sessionId: id }, 'could not resume the session before using it');
    }
  }

  /**
   * A lifecycle deadline fired (docs/lifecycle.md): pauses or stops the session if `stillDue` still
   * holds for its record once it is the session's only lifecycle operation. False when nothing was done.
   */
  async expire(id: string, action: 'pause' | 'stop', stillDue: (session: SessionRecord) => boolean): Promise<boolean> {
    return this.state.exclusive(id, async () => {
      const session = this.sessions.find(id);
      if (!session || !stillDue(session)) return false;
      if (action === 'stop') await this.stopLocked(id);
      // A request that came in while the container was being frozen wins: it is thawed at once.
      else if ((await this.pauseLocked(id, () => this.activity.busy(id))).status !== SandboxStatus.Paused) return false;
      return true;
    });
  }

  /** Restarts a stopped (or failed) session with the same workspace; a running one is returned as is, a paused one resumed. */
  async start(id: string): Promise<SessionRecord> {
    if (this.activity.isPaused(id)) return this.resume(id);
    return this.state.exclusive(id, async () => {
      const session = this.require(id);
      if (session.status === SandboxStatus.Creating || session.status === SandboxStatus.Paused) throw SessionErrors.busy(id, session.status);
      const container = session.containerId ? await this.docker.inspectContainer(session.containerId) : null;
      if (session.status === SandboxStatus.Running && container?.running) return session;
      return this.provision(session);
    });
  }

  async delete(id: string): Promise<void> {
    await this.state.exclusive(id, async () => {
      const session = this.require(id);
      // Tombstone first: if we crash below, reconciliation finishes the removal.
      this.state.transition(id, SandboxStatus.Removed);
      if (session.status === SandboxStatus.Paused && session.containerId) await this.docker.unpauseContainer(session.containerId).catch(() => undefined);
      await this.docker.removeContainer(session.containerId ?? session.containerName);
      await this.docker.removeContainer(session.containerName);
      await this.pool.releaseSession(id); // a claimed pool slot holds the workspace mounted
      await this.workspaces.remove(id);
      this.agents.release(id);
      this.events.emitLifecycle({ type: 'deleted', sessionId: id });
    });
  }

  /**
   * Runs `fn` while the session's sandbox is frozen, so nothing inside it can change the workspace
   * meanwhile (a host-side restore must not race a symlink swapped in by the sandbox). A stopped
   * sandbox needs no freezing.
   */
  async withSandboxFrozen<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const session = this.require(id);
    const paused = session.status === SandboxStatus.Running && session.containerId ? await this.docker.pauseContainer(session.containerId) : false;
    try {
      return await fn();
    } finally {
      if (paused) await this.docker.unpauseContainer(session.containerId!);
    }
  }

  /** The session, which must be running: exec and file operations need its container. */
  requireRunning(id: string): SessionRecord & { containerId: string } {
    const session = this.require(id);
    if (session.status !== SandboxStatus.Running || !session.containerId) throw SessionErrors.notRunning(id, session.status);
    return session as SessionRecord & { containerId: string };
  }

  /** Records activity (exec, file call, command output, terminal input) for idle detection (docs/lifecycle.md). */
  touch(id: string): void {
    this.activity.touch(id);
  }

  private require(id: string): SessionRecord {
    const session = this.sessions.find(id);
    if (!session || session.status === SandboxStatus.Removed) throw SessionErrors.notFound(id);
    return session;
  }

  /**
   * Brings a session's container up: reuses its container when it still exists (restart keeps
   * everything), otherwise creates a new one on the same workspace. Marks it running, or error.
   */
  private async provision(session: SessionRecord): Promise<SessionRecord> {
    const id = session.sessionId;
    try {
      const workspace = await this.workspaces.ensure(id, SANDBOX_UID, session.diskMb);
      if (session.status === SandboxStatus.Creating) this.events.emitLifecycle({ type: 'created', sessionId: id });
      let containerId = session.containerId;
      let existing = containerId ? await this.docker.inspectContainer(containerId) : null;
      // A stopped sandbox made before the agent gets a new container with it: its root is read-only and
      // /tmp a tmpfs, so nothing a stop had not already dropped is lost (the workspace is the same).
      if (existing && !existing.running && this.agents.enabled && !existing.labels[AGENT_LABEL]) {
        await this.docker.removeContainer(existing.id);
        existing = null;
      }
      // A pooled sandbox serves its session's first run only: its mounts name the slot, so a stopped one is replaced.
      if (existing && !existing.running && existing.labels[POOL_LABEL]) {
        await this.docker.removeContainer(existing.id);
        await this.pool.releaseSession(id);
        existing = null;
      }
      // A new session takes a warm sandbox when one fits (docs/sandboxes.md, "Warm pool").
      if (!existing && session.status === SandboxStatus.Creating && session.template) {
        const claimed = await this.pool.claim(id, { template: session.template, image: session.image, cpu: session.cpu, memoryMb: session.memoryMb }, workspace);
        if (claimed) {
          this.sessions.update(id, { containerId: claimed });
          return this.state.transition(id, SandboxStatus.Running, { containerId: claimed });
        }
      }
      // The agent's socket is listened on before the container starts (its agent dials at once).
      const agent = !existing || this.agents.expects(id) ? this.agents.prepare(id) : null;
      if (!existing) {
        await this.docker.removeContainer(containerName(id)); // leftover of an interrupted create
        containerId = await this.docker.createContainer(
          sandboxContainerSpec({
            sessionId: id,
            image: session.image,
            workspaceHostPath: workspace,
            env: session.env,
            cpu: session.cpu,
            memoryMb: session.memoryMb,
            ...sandboxHostSettings(this.config),
            agent: agent ? { ...agent, command: await this.docker.imageCommand(session.image) } : undefined,
          }),
        );
        this.sessions.update(id, { containerId });
      }
      await this.docker.startContainer(containerId!);
      return this.state.transition(id, SandboxStatus.Running, { containerId: containerId! });
    } catch (error) {
      const reason = `sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
      this.logger.error({ err: error, sessionId: id }, 'sandbox failed to start');
      this.state.transition(id, SandboxStatus.Error, { reason });
      throw SessionErrors.startFailed(id, error);
    }
  }

  private async stopLocked(id: string): Promise<SessionRecord> {
    const session = this.require(id);
    if (session.status === SandboxStatus.Stopped) return session;
    if (session.status !== SandboxStatus.Running && session.status !== SandboxStatus.Paused) throw SessionErrors.busy(id, session.status);
    if (session.containerId) {
      // A frozen container cannot take its stop signal: thaw it first.
      if (session.status === SandboxStatus.Paused) await this.docker.unpauseContainer(session.containerId).catch((error) => this.ignoreMissing(error));
      await this.docker.stopContainer(session.containerId, this.config.stopTimeoutS).catch((error) => this.ignoreMissing(error));
    }
    return this.state.transition(id, SandboxStatus.Stopped);
  }

  /** `abandon`: asked once the container is frozen; true thaws it again and leaves the session running. */
  private async pauseLocked(id: string, abandon?: () => boolean): Promise<SessionRecord> {
    const session = this.require(id);
    if (session.status === SandboxStatus.Paused) return session;
    if (session.status !== SandboxStatus.Running || !session.containerId) throw SessionErrors.busy(id, session.status);
    // False: the container does not run (it died; the container monitor reports it) or is frozen already.
    if (!(await this.docker.pauseContainer(session.containerId)) && !(await this.docker.containerExit(session.containerId))?.paused) {
      throw SessionErrors.notRunning(id, session.status);
    }
    if (abandon?.()) {
      await this.docker.unpauseContainer(session.containerId);
      return session;
    }
    return this.state.transition(id, SandboxStatus.Paused);
  }

  /** The disk quota that applies to a session: its own `diskMb`, else WORKSPACE_QUOTA_MB; 0 without quotas. */
  quotaMbOf(id: string): number {
    const quota = this.config.workspaceQuotaMb;
    return quota > 0 ? (this.sessions.find(id)?.diskMb ?? quota) : 0;
  }

  /** The disk quota of a new session: its own `diskMb` (within WORKSPACE_QUOTA_MB), else the manager's; null without quotas. */
  private diskOf(diskMb: number | undefined): number | null {
    const quota = this.config.workspaceQuotaMb;
    if (diskMb === undefined) return quota > 0 ? quota : null;
    if (quota === 0) throw SessionErrors.limit('diskMb needs workspace quotas, which are off on this manager (WORKSPACE_QUOTA_MB=0)');
    if (diskMb > quota) throw SessionErrors.limit(`diskMb must be at most ${quota}`);
    return diskMb;
  }

  private ignoreMissing(error: unknown): void {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}
