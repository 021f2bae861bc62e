import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@sandbox/contracts';

/**
 * graphql-js' messages for an argument or variable value of the wrong type: a string where an Int
 * belongs, an Int beyond 32 bits, an unknown enum value, an unknown or missing input field.
 */
const WRONG_VALUE = /cannot represent|^Expected value of type|^Variable "\$[^"]+" got invalid value|is not defined by type|of required type .* was not provided|^Expected type/;

/**
 * One shape for the same mistake: a value of the wrong type (refused by GraphQL's own validation or
 * variable coercion) answers 400 `BAD_REQUEST`, like a value out of range (refused by the input
 * rules). Other document errors (syntax, unknown fields, depth and cost limits) keep Apollo's codes.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if ((code === 'GRAPHQL_VALIDATION_FAILED' || code === 'BAD_USER_INPUT') && WRONG_VALUE.test(formatted.message)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.BadRequest, status: 400 } };
  }
  return formatted;
}
