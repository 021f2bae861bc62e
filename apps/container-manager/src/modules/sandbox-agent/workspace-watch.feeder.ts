import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { AgentConnection, AgentStream } from '../../repositories/sandbox-agent/agent-connection';
import { FrameType } from '../../repositories/sandbox-agent/agent-protocol';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { SessionEvents } from '../sessions/session-events';

/**
 * Watches every connected sandbox's whole workspace through its agent and turns file events into
 * `workspaceChanged` (cause `watch`), so changes made by any process — a background dev server, a
 * command started earlier — lead to the debounced auto-checkpoint, not only API writes and execs.
 */
@Injectable()
export class WorkspaceWatchFeeder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WorkspaceWatchFeeder.name);
  private readonly streams = new Map<string, AgentStream>();
  private subscription?: Subscription;

  constructor(
    private readonly agents: SandboxAgentRepository,
    private readonly events: SessionEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.agents.connected$.subscribe((connection) => this.watch(connection));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    for (const stream of this.streams.values()) stream.stop();
    this.streams.clear();
  }

  private watch(connection: AgentConnection): void {
    const { sessionId } = connection;
    this.streams.get(sessionId)?.stop();
    const stream = connection.stream(
      FrameType.Watch,
      { path: '.', recursive: true },
      (frame) => {
        if (frame.type === FrameType.Event) this.events.emitWorkspaceChanged({ sessionId, cause: 'watch' });
      },
      () => false,
    );
    this.streams.set(sessionId, stream);
    stream.ready.then(
      (answer) => {
        if (answer.complete === false) this.logger.warn({ sessionId }, 'the workspace has more directories than SANDBOX_WATCH_MAX_DIRS: changes below the rest are not seen');
      },
      (error: unknown) => this.logger.warn({ sessionId, err: error }, 'could not watch the workspace'),
    );
    void stream.ended.then(() => {
      if (this.streams.get(sessionId) === stream) this.streams.delete(sessionId);
    });
  }
}
