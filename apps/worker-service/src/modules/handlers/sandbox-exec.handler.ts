import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { ContainerManagerClient } from '@sandbox/clients';
import { ExecResult, TaskType } from '@sandbox/contracts';
import { callManager } from './manager-errors';
import { abortable, parsePayload, TaskContext, TaskHandler } from './task-handler';

export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const isCommand = (value: unknown): boolean =>
  (typeof value === 'string' && value.trim().length > 0 && value.length <= 16_384) ||
  (Array.isArray(value) && value.length > 0 && value.length <= 256 && value.every((part) => typeof part === 'string' && part.length <= 16_384));

const isStringMap = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

export class SandboxExecPayload {
  @IsString()
  @Matches(SESSION_ID_PATTERN, { message: 'sessionId must be a session id' })
  sessionId!: string;

  @ValidateBy({ name: 'isCommand', validator: { validate: isCommand, defaultMessage: () => 'command must be a non-empty string or an array of strings' } })
  command!: string | string[];

  @IsOptional()
  @IsString()
  @MaxLength(4_096)
  cwd?: string;

  @IsOptional()
  @IsObject()
  @ValidateBy({ name: 'isStringMap', validator: { validate: isStringMap, defaultMessage: () => 'env must map names to strings' } })
  env?: Record<string, string>;

  @IsOptional()
  @IsString()
  stdin?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  timeoutMs?: number;
}

export interface SandboxExecResult extends ExecResult {
  sessionId: string;
}

/** Runs a command in a session's sandbox through the container-manager and stores its result. */
@Injectable()
export class SandboxExecHandler implements TaskHandler<SandboxExecPayload> {
  readonly type = TaskType.SandboxExec;

  constructor(private readonly manager: ContainerManagerClient) {}

  parse(payload: Record<string, unknown>): SandboxExecPayload {
    return parsePayload(this.type, SandboxExecPayload, payload);
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
