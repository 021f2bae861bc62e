import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskType } from '@sandbox/contracts';
import { TaskContext, ValidatedTaskHandler } from './task-handler';

export class NoopPayload {
  /** Optional wait, abortable by cancel. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  durationMs?: number;
}

/** Does nothing (after an optional wait): measures the engine itself, and checks a deployment end to end. */
@Injectable()
export class NoopHandler extends ValidatedTaskHandler<NoopPayload> {
  constructor() {
    super(TaskType.SystemNoop, NoopPayload);
  }

  async run(payload: NoopPayload, context: TaskContext): Promise<unknown> {
    if (payload.durationMs) await sleep(payload.durationMs, undefined, { signal: context.signal });
    return { ok: true, durationMs: payload.durationMs ?? 0 };
  }
}
