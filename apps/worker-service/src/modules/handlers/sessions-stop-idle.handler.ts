import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ContainerManagerClient, ServiceConflictError, ServiceNotFoundError } from '@sandbox/clients';
import { SandboxSession, SandboxStatus, TaskType } from '@sandbox/contracts';
import { callManager } from './manager-errors';
import { TaskContext, ValidatedTaskHandler } from './task-handler';

export class StopIdlePayload {
  /** Sessions without activity for longer than this are stopped. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(525_600)
  idleMinutes?: number;
}

export interface StopIdleResult {
  idleMinutes: number;
  checked: number;
  stopped: string[];
  failed: { sessionId: string; error: string }[];
}

export const DEFAULT_IDLE_MINUTES = 30;

/** Last sign of life of a session: its last exec/file operation, else its last change. */
const lastActivity = (session: SandboxSession): number => Date.parse(session.lastActivityAt ?? session.updatedAt ?? session.createdAt);

/** Stops the running sessions that have been idle longer than `idleMinutes`. */
@Injectable()
export class SessionsStopIdleHandler extends ValidatedTaskHandler<StopIdlePayload> {
  constructor(private readonly manager: ContainerManagerClient) {
    super(TaskType.SessionsStopIdle, StopIdlePayload);
  }

  async run(payload: StopIdlePayload, context: TaskContext): Promise<StopIdleResult> {
    const idleMinutes = payload.idleMinutes ?? DEFAULT_IDLE_MINUTES;
    const cutoff = Date.now() - idleMinutes * 60_000;
    const { sessions } = await callManager('list sessions', () => this.manager.listSessions());
    const idle = sessions.filter((session) => session.status === SandboxStatus.Running && lastActivity(session) < cutoff);
    await context.log(`${idle.length} of ${sessions.length} sessions idle for more than ${idleMinutes} min`);
    const result: StopIdleResult = { idleMinutes, checked: sessions.length, stopped: [], failed: [] };
    for (const [index, session] of idle.entries()) {
      if (context.signal.aborted) throw new Error('Task cancelled');
      try {
        await context.once(`stop:${session.sessionId}`, () => this.stop(session.sessionId));
        result.stopped.push(session.sessionId);
      } catch (error) {
        result.failed.push({ sessionId: session.sessionId, error: error instanceof Error ? error.message : String(error) });
      }
      await context.progress(Math.round(((index + 1) / idle.length) * 100), `stopped ${session.sessionId}`);
    }
    // A partial failure is retried: the sessions already stopped are not stopped twice (`once`).
    if (result.failed.length > 0) throw new Error(`could not stop ${result.failed.length} session(s): ${result.failed.map((f) => `${f.sessionId} (${f.error})`).join(', ')}`);
    return result;
  }

  /** Already stopped or gone counts as done: the task may run again after a crash. */
  private async stop(sessionId: string): Promise<string> {
    try {
      await this.manager.stopSession(sessionId);
      return 'stopped';
    } catch (error) {
      if (error instanceof ServiceNotFoundError || error instanceof ServiceConflictError) return 'already-stopped';
      throw error;
    }
  }
}
