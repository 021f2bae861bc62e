import { Injectable } from '@nestjs/common';
import { EventEmitter, on } from 'node:events';
import type { SessionEventModel } from './models/session-event.model';

/**
 * In-process fan-out of session events to `sessionEvents` subscribers. One gateway instance only:
 * with several replicas this must become a shared bus (Redis or PostgreSQL LISTEN/NOTIFY), because
 * the internal route that publishes may land on another replica than the subscriber's socket.
 */
@Injectable()
export class SessionEventsService {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(event: SessionEventModel): void {
    this.emitter.emit(event.sessionId, event);
  }

  /**
   * Events of one session as GraphQL expects them (`{ sessionEvents: event }`). Built by hand rather
   * than as an async generator so that an unsubscribe removes the listener at once, even while
   * waiting for the next event.
   */
  subscribe(sessionId: string): AsyncIterableIterator<{ sessionEvents: SessionEventModel }> {
    const source = on(this.emitter, sessionId) as AsyncIterableIterator<[SessionEventModel]>;
    const iterator: AsyncIterableIterator<{ sessionEvents: SessionEventModel }> = {
      next: async () => {
        const result = await source.next();
        return result.done ? { done: true, value: undefined } : { done: false, value: { sessionEvents: result.value[0] } };
      },
      return: async () => {
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  listenerCount(sessionId: string): number {
    return this.emitter.listenerCount(sessionId);
  }
}
