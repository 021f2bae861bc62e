import { Injectable, Logger } from '@nestjs/common';
import { CreateSandboxRequest, SandboxStatus } from '@sandbox/contracts';
import { AGENT_LABEL, containerName } from '../../common/paths';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { WorkspaceRepository } from '../../repositories/workspace.repository';
import { TemplatesService } from '../templates/templates.service';
import { SANDBOX_UID, sandboxContainerSpec } from './container-spec';
import { SessionEvents } from './session-events';
import { SessionStateMachine } from './session-state-machine';
import { SessionErrors } from './sessions.exception';
import { SessionRecord, SessionsRepository } from './sessions.repository';

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
      if (!(await this.docker.imageExists(template.image))) throw SessionErrors.imageMissing(template.image);
      // Resolved again with no await before the insert: a template deleted meanwhile is not used.
      const { name, image } = this.templates.resolveForSession(template.name);
      this.sessions.insert({ sessionId: id, status: SandboxStatus.Creating, template: name, image, containerName: containerName(id), cpu, memoryMb, env: request.env ?? {} });
      return { session: await this.provision(this.require(id)), created: true };
    });
  }

  get(id: string): SessionRecord {
    return this.require(id);
  }

  list(): SessionRecord[] {
    return this.sessions.list();
  }

  async stop(id: string): Promise<SessionRecord> {
    return this.state.exclusive(id, async () => {
      const session = this.require(id);
      if (session.status === SandboxStatus.Stopped) return session;
      if (session.status !== SandboxStatus.Running) throw SessionErrors.busy(id, session.status);
      if (session.containerId) await this.docker.stopContainer(session.containerId, this.config.stopTimeoutS).catch((error) => this.ignoreMissing(error));
      return this.state.transition(id, SandboxStatus.Stopped);
    });
  }

  /** Restarts a stopped (or failed) session with the same workspace; a running one is returned as is. */
  async start(id: string): Promise<SessionRecord> {
    return this.state.exclusive(id, async () => {
      const session = this.require(id);
      if (session.status === SandboxStatus.Creating) throw SessionErrors.busy(id, session.status);
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
      await this.docker.removeContainer(session.containerId ?? session.containerName);
      await this.docker.removeContainer(session.containerName);
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

  /** Records activity (exec, file operation) for idle detection. */
  touch(id: string): void {
    this.sessions.touch(id, new Date());
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
      const workspace = await this.workspaces.ensure(id, SANDBOX_UID);
      if (session.status === SandboxStatus.Creating) this.events.emitLifecycle({ type: 'created', sessionId: id });
      let containerId = session.containerId;
      let existing = containerId ? await this.docker.inspectContainer(containerId) : null;
      // A stopped sandbox made before the agent gets a new container with it: its root is read-only and
      // /tmp a tmpfs, so nothing a stop had not already dropped is lost (the workspace is the same).
      if (existing && !existing.running && this.agents.enabled && !existing.raw.Config.Labels?.[AGENT_LABEL]) {
        await this.docker.removeContainer(existing.id);
        existing = null;
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
            network: this.config.network,
            pidsLimit: this.config.pidsLimit,
            tmpfsMb: this.config.tmpfsMb,
            logMaxSize: this.config.logMaxSize,
            managerId: this.config.managerId,
            testLabel: this.config.testLabel,
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

  private ignoreMissing(error: unknown): void {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}
