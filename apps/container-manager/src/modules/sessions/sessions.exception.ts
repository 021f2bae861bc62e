import { ErrorCode } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';

export const SessionErrors = {
  notFound: (id: string) => DomainException.notFound(`Session ${id} not found`),
  notRunning: (id: string, status: string) => DomainException.conflict(`Session ${id} is not running (status: ${status})`),
  deleted: (id: string) => DomainException.conflict(`Session ${id} was deleted; use a new session id`),
  busy: (id: string, status: string) => DomainException.conflict(`Session ${id} cannot do this while ${status}`),
  imageMissing: (image: string) => DomainException.badRequest(`Image ${image} is not available on this host`),
  limit: (message: string) => DomainException.badRequest(message),
  /** The session's filesystem (workspace and git history share it) has no room left for `what`. */
  diskFull: (quotaMb: number, what: string) => new DomainException(ErrorCode.PayloadTooLarge, `The workspace is full${quotaMb > 0 ? ` (quota of ${quotaMb} MB)` : ''}: ${what}`),
  startFailed: (id: string, cause: unknown) => new DomainException(ErrorCode.Internal, `Failed to start the sandbox of session ${id}`, undefined, { cause }),
};
