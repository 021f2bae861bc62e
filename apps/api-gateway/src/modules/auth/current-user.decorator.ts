import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import type { AuthenticatedRequest, AuthenticatedUser, GraphQLRequestContext } from './auth.types';

/** The caller authenticated by ApiKeyAuthGuard (`@Authenticated()`), in resolvers and controllers. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  const user =
    context.getType<GqlContextType>() === 'graphql'
      ? GqlExecutionContext.create(context).getContext<GraphQLRequestContext>().user
      : context.switchToHttp().getRequest<AuthenticatedRequest>().user;
  // A handler using @CurrentUser() without the guard is a programming error, not a client's.
  if (!user) throw new Error('@CurrentUser() used on a handler without @Authenticated()');
  return user;
});
