import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskType } from '@sandbox/contracts';
import { parsePayload, TaskContext, TaskHandler } from './task-handler';

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
export class NoopHandler implements TaskHandler<NoopPayload> {
  readonly type = TaskType.SystemNoop;

  parse(payload: Record<string, unknown>): NoopPayload {
    return parsePayload(this.type, NoopPayload, payload);
  }

  async run(payload: NoopPayload, context: TaskContext): Promise<unknown> {
    if (payload.durationMs) await sleep(payload.durationMs, undefined, { signal: context.signal });
    return { ok: true, durationMs: payload.durationMs ?? 0 };
  }
}
