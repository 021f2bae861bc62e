import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ContainerManagerClient, ServiceClientError, ServiceNotFoundError, ServiceTimeoutError, ServiceUnavailableError } from '@sandbox/clients';
import { CreateSandboxRequest, ErrorCode, ExecResult, FileEntry, GatewaySessionStatus, Preview, SessionUsage } from '@sandbox/contracts';
import type { AuthenticatedUser } from '../auth/auth.types';
import { DomainException } from '@sandbox/shared';
import type { SessionTransition } from './session-transitions';
import { FileEncoding } from './models/sandbox.model';
import { sessionNotFound, SessionLifecycleService } from './session-lifecycle.service';
import { CheckpointRecord, SessionRecord, SessionsRepository } from './sessions.repository';
import type { CreateSessionInput, ExecInput } from './dto/graphql.inputs';
import { TemplatesService } from '../templates/templates.service';
import { GatewayConfig } from '../../config/gateway-config';

/**
 * The owner-facing session operations behind GraphQL. Every operation first resolves the session
 * among the caller's own (another owner's id is "not found"), then asks the container-manager.
 * Statuses are never written here except createSession's failure path: the manager reports them
 * through the internal routes.
 */
@Injectable()
export class SessionsService implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionsService.name);
  /** Manager create calls still running, awaited at shutdown so none is cut off silently. */
  private readonly creating = new Set<Promise<void>>();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly lifecycle: SessionLifecycleService,
    private readonly manager: ContainerManagerClient,
    private readonly config: GatewayConfig,
    private readonly templates: TemplatesService,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.creating]);
  }

  async get(user: AuthenticatedUser, id: string): Promise<SessionRecord> {
    const session = await this.sessions.findOwned(user.id, id);
    if (!session) throw sessionNotFound(id);
    return session;
  }

  find(user: AuthenticatedUser, id: string): Promise<SessionRecord | null> {
    return this.sessions.findOwned(user.id, id);
  }

  list(user: AuthenticatedUser, filter: { status?: GatewaySessionStatus; limit: number; offset: number }): Promise<{ sessions: SessionRecord[]; total: number }> {
    return this.sessions.listOwned(user.id, filter);
  }

  /**
   * Inserts the PENDING row and returns it at once (docs/api.md, api-gateway: sessions); the manager's create runs in the
   * background and its success arrives as POST /api/internal/sessions/:id/start. A create the
   * manager refused turns the session to ERROR with the manager's message as reason.
   */
  async create(user: AuthenticatedUser, input: CreateSessionInput = {}, repository?: { repoUrl: string; repoName: string }): Promise<SessionRecord> {
    // Checked before the row exists: an unknown template is the caller's 400, not a session in ERROR.
    // A manager that cannot be asked does not block the create: its outcome is settled later, as before.
    const name = await this.templates.nameFor(input, this.config.defaultTemplate);
    const template = await this.templates.requireReady(name).catch((error: unknown) => {
      if (error instanceof ServiceUnavailableError || error instanceof ServiceTimeoutError) return null;
      throw error;
    });
    const session = await this.lifecycle.insert({ id: randomUUID(), ownerId: user.id, template: name, image: template?.image ?? null, ...repository });
    const { env, diskMb, idleTimeoutMs, pausedStopMs, maxLifetimeMs } = input;
    const pending = this.createSandbox(session.id, name, { env, diskMb, idleTimeoutMs, pausedStopMs, maxLifetimeMs }).finally(() => this.creating.delete(pending));
    this.creating.add(pending);
    return session;
  }

  /**
   * Answers with the state it produced: the manager's answer is applied at once (the same idempotent
   * transition its outbox notification makes later, which then changes nothing).
   */
  async stop(user: AuthenticatedUser, id: string): Promise<SessionRecord> {
    await this.get(user, id);
    await this.manager.stopSession(id);
    await this.applyProduced(id, 'stop');
    return this.get(user, id);
  }

  /** Answers ACTIVE once the manager started the sandbox (see stop). */
  async start(user: AuthenticatedUser, id: string): Promise<SessionRecord> {
    await this.get(user, id);
    await this.manager.startSession(id);
    await this.applyProduced(id, 'start');
    return this.get(user, id);
  }

  /** Freezes the sandbox; answers PAUSED (see stop). */
  async pause(user: AuthenticatedUser, id: string): Promise<SessionRecord> {
    await this.get(user, id);
    await this.manager.pauseSession(id);
    await this.applyProduced(id, 'pause');
    return this.get(user, id);
  }

  /** Thaws a paused sandbox; answers ACTIVE (see stop). */
  async resume(user: AuthenticatedUser, id: string): Promise<SessionRecord> {
    await this.get(user, id);
    await this.manager.resumeSession(id);
    await this.applyProduced(id, 'start');
    return this.get(user, id);
  }

  /** What the sandbox of a session (already resolved among the caller's) consumes now; null when the manager has none. */
  async usageOf(id: string): Promise<(Omit<SessionUsage, 'sampledAt'> & { sampledAt: Date }) | null> {
    try {
      const usage = await this.manager.sessionUsage(id);
      return { ...usage, sampledAt: new Date(usage.sampledAt) };
    } catch (error) {
      if (error instanceof ServiceNotFoundError) return null;
      throw error;
    }
  }

  /** A status the row cannot take from where it is (e.g. ERROR to STOPPED) is left as it is and answered. */
  private async applyProduced(id: string, transition: SessionTransition): Promise<void> {
    try {
      await this.lifecycle.apply(id, transition);
    } catch (error) {
      if (!(error instanceof DomainException && error.code === ErrorCode.Conflict)) throw error;
    }
  }

  /** Removes the sandbox (already gone is fine), then the row and its checkpoints. */
  async delete(user: AuthenticatedUser, id: string): Promise<boolean> {
    const session = await this.get(user, id);
    try {
      await this.manager.deleteSession(id);
    } catch (error) {
      if (!(error instanceof ServiceNotFoundError)) throw error;
    }
    if (!(await this.lifecycle.delete(session))) throw sessionNotFound(id);
    return true;
  }

  async exec(user: AuthenticatedUser, id: string, input: ExecInput): Promise<ExecResult> {
    await this.get(user, id);
    return this.manager.exec(id, { command: ['sh', '-c', input.command], cwd: input.cwd, env: input.env, stdin: input.stdin, timeoutMs: input.timeoutMs });
  }

  async readFile(user: AuthenticatedUser, id: string, path: string, encoding: FileEncoding): Promise<string> {
    await this.get(user, id);
    const bytes = await this.manager.readFile(id, path);
    return Buffer.from(bytes).toString(encoding);
  }

  async writeFile(user: AuthenticatedUser, id: string, path: string, content: string, encoding: FileEncoding): Promise<boolean> {
    await this.get(user, id);
    await this.manager.writeFile(id, path, Buffer.from(content, encoding));
    return true;
  }

  async listFiles(user: AuthenticatedUser, id: string, path: string): Promise<FileEntry[]> {
    await this.get(user, id);
    return (await this.manager.listFiles(id, path)).entries;
  }

  async makeDirectory(user: AuthenticatedUser, id: string, path: string): Promise<FileEntry> {
    await this.get(user, id);
    return this.manager.mkdir(id, path);
  }

  async moveFile(user: AuthenticatedUser, id: string, from: string, to: string): Promise<FileEntry> {
    await this.get(user, id);
    return this.manager.move(id, from, to);
  }

  async deleteFile(user: AuthenticatedUser, id: string, path: string): Promise<boolean> {
    await this.get(user, id);
    await this.manager.deleteFile(id, path);
    return true;
  }

  /** From PostgreSQL, newest first: the gateway's own record of the timeline. */
  async checkpoints(user: AuthenticatedUser, id: string, limit: number, offset: number): Promise<CheckpointRecord[]> {
    await this.get(user, id);
    return this.sessions.listCheckpoints(id, limit, offset);
  }

  /**
   * Commits now; null when nothing changed. The checkpoint is recorded here as well as through the
   * manager's outbox (whichever comes first wins; the other is a duplicate), so it is visible at once.
   */
  async commit(user: AuthenticatedUser, id: string, description?: string, messageNumber?: number): Promise<CheckpointRecord | null> {
    await this.get(user, id);
    const result = await this.manager.commit(id, { description, messageNumber });
    if (!('commitHash' in result)) return null;
    return (await this.lifecycle.recordCheckpoint(result)).checkpoint;
  }

  async restore(user: AuthenticatedUser, id: string, commitHash: string): Promise<CheckpointRecord> {
    await this.get(user, id);
    const checkpoint = await this.manager.restore(id, commitHash);
    return (await this.lifecycle.recordCheckpoint(checkpoint)).checkpoint;
  }

  async registerPreview(user: AuthenticatedUser, id: string, port: number): Promise<Preview> {
    await this.get(user, id);
    return this.manager.registerPreview(id, port);
  }

  async previews(user: AuthenticatedUser, id: string): Promise<Preview[]> {
    await this.get(user, id);
    return (await this.manager.listPreviews(id)).previews;
  }

  /**
   * Asks the manager for the sandbox. A definite answer that it failed marks the row ERROR; no answer
   * (unreachable, reset mid-request, timed out) says nothing about what the manager did, so the row
   * stays PENDING: the manager's outbox reports the outcome when it comes back, and the pending
   * sweeper settles it from the manager's record if nothing does.
   */
  private async createSandbox(sessionId: string, template: string, options: Omit<CreateSandboxRequest, 'sessionId' | 'template' | 'image'>): Promise<void> {
    try {
      await this.manager.createSession({ sessionId, template, ...options });
    } catch (error) {
      if (error instanceof ServiceUnavailableError || error instanceof ServiceTimeoutError) {
        this.logger.warn({ sessionId, err: error }, 'sandbox creation has an unknown outcome (container-manager unreachable); left PENDING for its notification or the pending sweeper');
        return;
      }
      const reason = error instanceof ServiceClientError ? error.message : 'container-manager failed to create the sandbox';
      this.logger.warn({ sessionId, err: error }, `sandbox creation failed: ${reason}`);
      try {
        await this.lifecycle.failPending(sessionId, reason);
      } catch (failure) {
        this.logger.error({ sessionId, err: failure }, 'could not record the failed creation');
      }
    }
  }
}
