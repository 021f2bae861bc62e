import { Param, PipeTransform } from '@nestjs/common';
import { isSessionId, SESSION_ID_MESSAGE } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';

/** A session id from a path: lower-cased (it is also a DNS label of the preview host form), 400 unless a UUID. */
export class SessionIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const id = value.toLowerCase();
    if (!isSessionId(id)) throw DomainException.badRequest(SESSION_ID_MESSAGE);
    return id;
  }
}

/** The route's `:id`, checked as a session id (it becomes file names and container names). */
export const SessionIdParam = (): ParameterDecorator => Param('id', SessionIdPipe);
