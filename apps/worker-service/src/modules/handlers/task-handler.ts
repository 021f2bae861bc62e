import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DomainException } from '@sandbox/shared';

/** What a handler may do while it runs. */
export interface TaskContext {
  readonly taskId: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Aborted when the task is cancelled. */
  readonly signal: AbortSignal;
  log(message: string, data?: unknown): Promise<void>;
  progress(percent: number, message?: string): Promise<void>;
  /**
   * Runs a side effect at most once per task (until it succeeds): its result is stored, and a
   * redelivered task gets the stored result instead of doing it again.
   */
  once<T>(step: string, run: () => Promise<T>): Promise<T>;
}

/** A task type. `parse` runs when the task is created (400 on bad input) and again before `run`. */
export interface TaskHandler<P extends object = object> {
  readonly type: string;
  parse(payload: Record<string, unknown>): P;
  run(payload: P, context: TaskContext): Promise<unknown>;
}

/** A failure that retrying cannot fix (bad input, unknown session): the task fails at once. */
export class PermanentTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = PermanentTaskError.name;
  }
}

export const TASK_HANDLERS = Symbol('TASK_HANDLERS');

function messagesOf(errors: ValidationError[], path = 'payload'): string[] {
  return errors.flatMap((error) => {
    const here = `${path}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => `${here}: ${message}`);
    return [...own, ...messagesOf(error.children ?? [], here)];
  });
}

/** A task type whose payload is a class-validator class: `parse` validates against it; unknown fields are refused. */
export abstract class ValidatedTaskHandler<P extends object> implements TaskHandler<P> {
  protected constructor(
    readonly type: string,
    private readonly payloadClass: ClassConstructor<P>,
  ) {}

  parse(payload: Record<string, unknown>): P {
    const instance = plainToInstance(this.payloadClass, payload);
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw DomainException.badRequest(`Invalid payload for task type '${this.type}': ${messagesOf(errors).join('; ')}`);
    return instance;
  }

  abstract run(payload: P, context: TaskContext): Promise<unknown>;
}

/** Resolves when `promise` does, or rejects as soon as `signal` aborts (the promise keeps running). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('Task cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('Task cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
