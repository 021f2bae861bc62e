/** One GraphQL error as the gateway sends it (`extensions.code` is the platform's error code). */
export interface GraphQLErrorEntry {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; status?: number; [key: string]: unknown };
}

/**
 * Every failure the SDK reports: `code` is the server's (`NOT_FOUND`, `BAD_REQUEST`, `UNAUTHENTICATED`,
 * ...; docs/api.md, "Conventions of every service"), or `NETWORK_ERROR` / `TIMEOUT` when no answer came.
 * Catch a subclass to handle one kind: `if (error instanceof NotFoundError) ...`.
 */
export class SandboxError extends Error {
  constructor(
    message: string,
    /** The server's error code, e.g. NOT_FOUND; NETWORK_ERROR when the server could not be reached. */
    readonly code: string,
    /** The HTTP status the code maps to, when known. */
    readonly status?: number,
    /** Every error of the answer (a GraphQL answer can hold several). */
    readonly errors: readonly GraphQLErrorEntry[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No key, an unknown or a revoked key (401, or a graphql-ws close with 4403). */
export class AuthenticationError extends SandboxError {}
/** The thing does not exist, or belongs to another owner (the platform answers both alike). */
export class NotFoundError extends SandboxError {}
/** Input refused: validation of arguments, a GraphQL document the schema refuses, a bad request. */
export class ValidationError extends SandboxError {}
/** The state does not allow it (e.g. a run already active in the session, a template in use). */
export class ConflictError extends SandboxError {}
export class ForbiddenError extends SandboxError {}
export class PayloadTooLargeError extends SandboxError {}
/** Too many requests: wait `retryAfterSeconds` before the next one. */
export class RateLimitError extends SandboxError {
  retryAfterSeconds?: number;
}
/** The platform failed (500, 502, 503, 504): worth retrying later. */
export class ServerError extends SandboxError {}
/** No answer: the gateway could not be reached, or the connection broke. */
export class NetworkError extends SandboxError {}
/** The SDK stopped waiting (a `timeoutMs` of the SDK's own, e.g. waiting for a session to start). */
export class TimeoutError extends SandboxError {}

const STATUS_OF: Record<string, number> = {
  BAD_REQUEST: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  GRAPHQL_PARSE_FAILED: 400,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
};

/** The error class for a server code (or, without one, for an HTTP status). */
export function errorFor(message: string, code: string | undefined, status: number | undefined, errors: readonly GraphQLErrorEntry[] = []): SandboxError {
  const known = code ?? codeOfStatus(status);
  const httpStatus = STATUS_OF[known] ?? status;
  switch (known) {
    case 'UNAUTHENTICATED':
      return new AuthenticationError(message, known, httpStatus, errors);
    case 'NOT_FOUND':
      return new NotFoundError(message, known, httpStatus, errors);
    case 'BAD_REQUEST':
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'GRAPHQL_PARSE_FAILED':
      return new ValidationError(message, known, httpStatus, errors);
    case 'CONFLICT':
      return new ConflictError(message, known, httpStatus, errors);
    case 'FORBIDDEN':
      return new ForbiddenError(message, known, httpStatus, errors);
    case 'PAYLOAD_TOO_LARGE':
      return new PayloadTooLargeError(message, known, httpStatus, errors);
    case 'RATE_LIMITED':
      return new RateLimitError(message, known, httpStatus, errors);
    default:
      return new ServerError(message, known, httpStatus, errors);
  }
}

function codeOfStatus(status: number | undefined): string {
  if (status === undefined) return 'INTERNAL_SERVER_ERROR';
  const match = Object.entries(STATUS_OF).find(([, value]) => value === status);
  return match ? match[0] : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
}
