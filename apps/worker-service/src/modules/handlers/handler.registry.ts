import { Inject, Injectable } from '@nestjs/common';
import { DomainException } from '@sandbox/shared';
import { TASK_HANDLERS, TaskHandler } from './task-handler';

/** The known task types, and the one place that turns a type into its handler. */
@Injectable()
export class HandlerRegistry {
  private readonly handlers: Map<string, TaskHandler>;

  constructor(@Inject(TASK_HANDLERS) handlers: TaskHandler[]) {
    this.handlers = new Map(handlers.map((handler) => [handler.type, handler]));
  }

  get types(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** The handler of `type`, or a 400 that lists the known types. */
  get(type: string): TaskHandler {
    const handler = this.handlers.get(type);
    if (!handler) throw DomainException.badRequest(`Unknown task type '${type}'. Known types: ${this.types.join(', ')}`);
    return handler;
  }

  /** Checks a type and its payload (400 on either). */
  validate(type: string, payload: Record<string, unknown>): void {
    this.get(type).parse(payload);
  }
}
