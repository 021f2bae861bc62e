import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';

/**
 * Bounds on one GraphQL document, checked at validation, before anything runs: a document over one
 * of them is answered 400 `GRAPHQL_VALIDATION_FAILED` with a message naming the limit and the value
 * found (e.g. "Aliases limit of 20 exceeded, found 1000."). Introspection is not counted for depth
 * and cost. The deepest query of the schema nests 4 levels; aliases are what turns one request
 * into thousands of resolver calls.
 */
export const GRAPHQL_DOCUMENT_LIMITS = {
  maxDepth: 10,
  maxAliases: 20,
  /** graphql-armor's cost model: 2 per object field, 1 per scalar, times 1.5 per level of depth. */
  maxCost: 5000,
} as const;

/** Reports the rejection as a validation error instead of throwing out of graphql-js' validator. */
const report = [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)];

export function documentLimitRules(): ValidationRule[] {
  const common = { exposeLimits: true, propagateOnRejection: false, onReject: report };
  return [
    maxDepthRule({ ...common, n: GRAPHQL_DOCUMENT_LIMITS.maxDepth }),
    maxAliasesRule({ ...common, n: GRAPHQL_DOCUMENT_LIMITS.maxAliases }),
    costLimitRule({ ...common, maxCost: GRAPHQL_DOCUMENT_LIMITS.maxCost }),
  ] as ValidationRule[];
}
