import { ErrorCode, httpStatusOf } from '@sandbox/contracts';

/**
 * The one exception type services throw for expected failures. The code decides the HTTP status and
 * the GraphQL `extensions.code`; the message is safe to show to the caller.
 */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.headers = options?.headers;
  }

  /** Response headers the answer must carry (e.g. `Retry-After` of a 429), over REST and GraphQL over HTTP. */
  readonly headers?: Record<string, string>;

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  static notFound(message: string): DomainException {
    return new DomainException(ErrorCode.NotFound, message);
  }

  static badRequest(message: string): DomainException {
    return new DomainException(ErrorCode.BadRequest, message);
  }

  static forbidden(message: string): DomainException {
    return new DomainException(ErrorCode.Forbidden, message);
  }

  static conflict(message: string): DomainException {
    return new DomainException(ErrorCode.Conflict, message);
  }
}
