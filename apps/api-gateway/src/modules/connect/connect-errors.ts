import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorCode, RunMessages } from '@sandbox/contracts';
import { AllExceptionsFilter } from '@sandbox/shared';

/** The Connect code of each error code, one exhaustive switch (docs/runs.md, Connect: errors). */
export function connectCodeOf(code: ErrorCode): Code {
  switch (code) {
    case ErrorCode.BadRequest:
      return Code.InvalidArgument;
    case ErrorCode.Unauthorized:
      return Code.Unauthenticated;
    case ErrorCode.Forbidden:
      return Code.PermissionDenied;
    case ErrorCode.NotFound:
      return Code.NotFound;
    case ErrorCode.Conflict:
      return Code.AlreadyExists;
    case ErrorCode.PayloadTooLarge:
    case ErrorCode.RateLimited:
      return Code.ResourceExhausted;
    case ErrorCode.Internal:
      return Code.Internal;
    case ErrorCode.BadGateway:
    case ErrorCode.ServiceUnavailable:
      return Code.Unavailable;
    case ErrorCode.Timeout:
      return Code.DeadlineExceeded;
  }
}

const filter = new AllExceptionsFilter();

/**
 * Any error of a handler as a ConnectError, through the same view as REST and GraphQL: expected
 * failures keep their message (and headers such as Retry-After, as metadata); anything else is logged
 * by the filter and answers `internal` with an error id only.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const view = filter.toView(error);
  const message = 'message' in view.body ? view.body.message : 'Error';
  const text = Array.isArray(message) ? message.join('; ') : String(message);
  const metadata = new Headers(view.headers);
  if ('errorId' in view.body && typeof view.body.errorId === 'string') metadata.set('x-error-id', view.body.errorId);
  let code = connectCodeOf(view.code);
  // "Run {runId} is not the active run of session {sessionId}": the request names a run the session has
  // moved past; the session itself is fine, so it is a failed precondition, not an existing resource.
  if (view.code === ErrorCode.Conflict && NOT_ACTIVE_RUN.test(text)) code = Code.FailedPrecondition;
  return new ConnectError(text, code, metadata, undefined, error);
}

const NOT_ACTIVE_RUN = new RegExp(`^${RunMessages.notActiveRun('\\S+', '\\S+')}$`);
