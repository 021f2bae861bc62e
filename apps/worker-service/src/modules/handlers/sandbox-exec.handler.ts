import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ContainerManagerClient } from '@sandbox/clients';
import { ExecLimits, ExecResult, IsCommand, IsEnvMap, IsSessionId, TaskType } from '@sandbox/contracts';
import { callManager } from './manager-errors';
import { abortable, TaskContext, ValidatedTaskHandler } from './task-handler';

/** The manager's exec request plus the session: the same limits as the manager's own validation. */
export class SandboxExecPayload {
  @IsSessionId()
  sessionId!: string;

  @IsCommand()
  command!: string | string[];

  @IsOptional()
  @IsString()
  @MaxLength(ExecLimits.pathMaxLength)
  cwd?: string;

  @IsOptional()
  @IsEnvMap()
  env?: Record<string, string>;

  @IsOptional()
  @IsString()
  stdin?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(ExecLimits.timeoutMinMs)
  @Max(ExecLimits.timeoutMaxMs)
  timeoutMs?: number;
}

export interface SandboxExecResult extends ExecResult {
  sessionId: string;
}

/** Runs a command in a session's sandbox through the container-manager and stores its result. */
@Injectable()
export class SandboxExecHandler extends ValidatedTaskHandler<SandboxExecPayload> {
  constructor(private readonly manager: ContainerManagerClient) {
    super(TaskType.SandboxExec, SandboxExecPayload);
  }

  async run(payload: SandboxExecPayload, context: TaskContext): Promise<SandboxExecResult> {
    const { sessionId, command, cwd, env, stdin, timeoutMs } = payload;
    await context.log(`exec in session ${sessionId}`);
    // Once the command has run, a redelivered task reuses its stored result instead of running it again.
    // A run cut short leaves nothing behind to finish unseen: the manager kills a command whose caller
    // goes away, whether the task is cancelled (the signal drops the call) or this process dies.
    const result = await context.once('exec', () =>
      abortable(callManager('exec', () => this.manager.exec(sessionId, { command, cwd, env, stdin, timeoutMs }, { signal: context.signal })), context.signal),
    );
    await context.log(`exit code ${result.exitCode ?? 'none'}${result.timedOut ? ' (timed out)' : ''}`, { exitCode: result.exitCode, durationMs: result.durationMs });
    return { sessionId, ...result };
  }
}
