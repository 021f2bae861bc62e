import { Injectable } from '@nestjs/common';
import { EventEmitter, on } from 'node:events';
import { SessionEventModel, SessionEventType } from './models/session-event.model';

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
  subscribe(sessionId: string, snapshot?: () => Promise<SessionEventModel>): AsyncIterableIterator<{ sessionEvents: SessionEventModel }> {
    // Listening starts before the snapshot is read, so a change in between is delivered after it, never lost.
    const source = on(this.emitter, sessionId) as AsyncIterableIterator<[SessionEventModel]>;
    let first = snapshot;
    let ended = false;
    const iterator: AsyncIterableIterator<{ sessionEvents: SessionEventModel }> = {
      next: async () => {
        if (ended) return { done: true, value: undefined };
        if (first) {
          const read = first;
          first = undefined;
          return { done: false, value: { sessionEvents: await read() } };
        }
        const result = await source.next();
        if (result.done) return { done: true, value: undefined };
        const event = result.value[0];
        // Nothing follows a deletion: the subscription completes after delivering it.
        if (event.type === SessionEventType.DELETED) {
          ended = true;
          await source.return?.();
        }
        return { done: false, value: { sessionEvents: event } };
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
