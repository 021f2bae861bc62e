import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@sandbox/testing';
import { buildSchema, concatAST, type DocumentNode, Kind, parse, validate } from 'graphql';

const OPERATIONS_DIR = join(REPO_ROOT, 'libs/sdk/src/operations');
const schema = buildSchema(readFileSync(join(REPO_ROOT, 'apps/api-gateway/schema.graphql'), 'utf8'));

/** Every document of src/operations as one, so a fragment of fragments.graphql resolves in the files that spread it. */
function operations(): DocumentNode {
  const files = readdirSync(OPERATIONS_DIR).filter((name) => name.endsWith('.graphql'));
  return concatAST(files.map((name) => parse(readFileSync(join(OPERATIONS_DIR, name), 'utf8'))));
}

/**
 * The SDK's operations are what it sends to the gateway: each must be valid against the gateway's
 * schema (apps/api-gateway/schema.graphql). The generated types are built from both at build time.
 */
describe('SDK operations', () => {
  it('should all be valid against the gateway schema', () => {
    const document = operations();
    expect(document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length).toBeGreaterThan(0);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
  });

  it('should reject an operation that asks for a field the schema does not have', () => {
    const document = parse('query Stale($id: ID!) { session(id: $id) { id noSuchField } }');
    expect(validate(schema, document).map((error) => error.message)).toEqual(['Cannot query field "noSuchField" on type "Session".']);
  });
});
