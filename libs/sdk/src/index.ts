export { SandboxClient, SessionFailedError, DEFAULT_API_URL, type SandboxClientOptions, type ExecOptions, type WaitOptions } from './client.js';
export {
  SandboxError,
  AuthenticationError,
  NotFoundError,
  ValidationError,
  ConflictError,
  ForbiddenError,
  PayloadTooLargeError,
  RateLimitError,
  ServerError,
  NetworkError,
  TimeoutError,
  errorFor,
  type GraphQLErrorEntry,
} from './errors.js';
export type { TypedDocument } from './transport.js';
export { Terminal, type TerminalExit } from './terminal.js';
export type * from './types.js';
/** Every generated operation document and schema type, for `client.request(SomeDocument, variables)`. */
export * as graphql from './generated/graphql.js';
