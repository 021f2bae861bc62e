import type { Request, Response } from 'express';

/** The caller behind a valid API key; what `@CurrentUser()` hands to resolvers and controllers. */
export interface AuthenticatedUser {
  id: string;
  name: string;
  apiKeyId: string;
}

export type AuthenticatedRequest = Request & { user?: AuthenticatedUser };

/**
 * The GraphQL context. Over HTTP it carries Express' request and response; over graphql-ws the
 * connection was authenticated once at `connection_init`, and `user` is set from then on.
 */
export interface GraphQLRequestContext {
  req?: AuthenticatedRequest;
  res?: Response;
  user?: AuthenticatedUser;
  /** The request's one authentication, shared by all of its fields (set by ApiKeyAuthGuard). */
  authentication?: Promise<AuthenticatedUser>;
}
