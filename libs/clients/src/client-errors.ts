import { ErrorCode } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';

/**
 * A failed call to another service. Being a DomainException, an uncaught one is answered with its
 * code's status by the catch-all filter; callers catch the subclasses to translate them.
 */
export class ServiceClientError extends DomainException {
  constructor(
    code: ErrorCode,
    message: string,
    readonly service: string,
    readonly status: number | null,
    readonly body: unknown,
    options?: { cause?: unknown },
  ) {
    super(code, message, undefined, options);
  }
}

/** The service could not be reached (refused, reset, DNS). */
export class ServiceUnavailableError extends ServiceClientError {}
/** No answer within the client's timeout. */
export class ServiceTimeoutError extends ServiceClientError {}
/** 400 or 422: the other service rejected the input; `message` is its validation message. */
export class ServiceBadRequestError extends ServiceClientError {}
/** 401 or 403 from the other service: usually a wrong internal key. */
export class ServiceForbiddenError extends ServiceClientError {}
export class ServiceNotFoundError extends ServiceClientError {}
export class ServiceConflictError extends ServiceClientError {}
export class ServicePayloadTooLargeError extends ServiceClientError {}
/** 5xx from the other service. */
export class ServiceServerError extends ServiceClientError {}
