import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { MAX_JSON_DEPTH } from '@sandbox/shared';
import { GRAPHQL_DOCUMENT_LIMITS } from '../src/modules/graphql/document-limits';
import { gql, startGateway, TestGateway, wsClient } from './support/gateway';

const LEVELS = 100_000;
const DEEP_BODIES = {
  'arrays': '['.repeat(LEVELS) + ']'.repeat(LEVELS),
  'objects': '{"a":'.repeat(LEVELS) + '1' + '}'.repeat(LEVELS),
  'GraphQL variables': `{"query":"query($v: JSON) { __typename }","variables":{"v":${'['.repeat(LEVELS)}${']'.repeat(LEVELS)}}}`,
};

/**
 * Hostile input on the gateway's HTTP surface (REST and GraphQL): each gets one clear 4xx, nothing
 * is logged as an unhandled error, and the gateway keeps serving.
 */
describe('gateway malformed input', () => {
  let gateway: TestGateway;
  let key: string;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    gateway = await startGateway();
    key = (await gateway.newUser()).key;
  });

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
  });

  afterEach(async () => {
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
    expect((await gql(gateway, key, '{ sessions { total } }')).status).toBe(200);
  });

  afterAll(async () => {
    await gateway.close();
  });

  async function post(path: string, body: string) {
    const res = await request(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_KEY_HEADER]: gateway.internalKey, authorization: `Bearer ${key}` },
      body,
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  describe('deeply nested JSON bodies', () => {
    it.each(Object.entries(DEEP_BODIES).flatMap(([kind, body]) => ['/graphql', '/api/internal/git-checkpoints'].map((path) => [kind, path, body] as const)))(
      'should answer %s nested 100,000 levels deep on %s with 400',
      async (_kind, path, body) => {
        const res = await post(path, body);
        expect(res).toEqual({ status: 400, body: { statusCode: 400, message: `Request body is nested too deeply (at most ${MAX_JSON_DEPTH} levels)` } });
      },
    );

    it('should accept nesting up to the limit, and count brackets inside strings as text', async () => {
      const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
      // Within the limit the body reaches validation (the envelope object is one level).
      const within = await post('/api/internal/git-checkpoints', `{"sessionId":${nested(MAX_JSON_DEPTH - 1)}}`);
      expect(within.status).toBe(400);
      expect(within.body.message).toContain('sessionId must be a UUID');
      const over = await post('/api/internal/git-checkpoints', `{"sessionId":${nested(MAX_JSON_DEPTH)}}`);
      expect(over.body.message).toMatch(/nested too deeply/);
      const text = await post('/api/internal/git-checkpoints', JSON.stringify({ sessionId: '[{'.repeat(1000) + '\\"[' }));
      expect(text.body.message).toContain('sessionId must be a UUID');
    });

    it('should refuse a JSON body in another charset than UTF-8 with 415', async () => {
      const res = await request(`${gateway.url}/api/internal/git-checkpoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-16le', [INTERNAL_KEY_HEADER]: gateway.internalKey },
        body: Buffer.from('{"sessionId":"x"}', 'utf16le'),
      });
      expect(res.statusCode).toBe(415);
      expect(await res.body.json()).toEqual({ statusCode: 415, message: 'JSON request bodies must be UTF-8' });
    });
  });

  describe('GraphQL document limits', () => {
    it('should answer 1,000 aliases with one 400 naming the alias limit, before anything runs', async () => {
      const res = await gql(gateway, key, `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: sessions { total }`).join(' ')} }`);
      expect(res.status).toBe(400);
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining(`Aliases limit of ${GRAPHQL_DOCUMENT_LIMITS.maxAliases} exceeded, found 1000`),
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
    });

    it('should refuse a subscription over graphql-ws beyond the alias limit, with the same message', async () => {
      const client = wsClient(gateway, key);
      try {
        const fields = Array.from({ length: 30 }, (_, i) => `t${i}: type`).join(' ');
        const outcome = await new Promise<string>((resolve) => {
          client.subscribe(
            { query: `subscription { sessionEvents(sessionId: "00000000-0000-4000-8000-000000000000") { ${fields} } }` },
            { next: (value) => resolve(JSON.stringify(value)), error: (error) => resolve(JSON.stringify(error)), complete: () => resolve('complete') },
          );
        });
        expect(outcome).toContain(`Aliases limit of ${GRAPHQL_DOCUMENT_LIMITS.maxAliases} exceeded, found 30`);
      } finally {
        await client.dispose();
      }
    });

    it('should answer a too deep document with 400 naming the depth limit', async () => {
      expect((await gql(gateway, key, '{ sessions { sessions { ...F } } } fragment F on Session { id }')).status).toBe(200);
      const nestedFragments = Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { sessions { total } ...F${i + 1} }`).join(' ');
      const res = await gql(gateway, key, `{ ...F0 } ${nestedFragments} fragment F12 on Query { __typename }`);
      expect(res.status).toBe(400);
      expect(res.errors?.[0].message).toContain(`Query depth limit of ${GRAPHQL_DOCUMENT_LIMITS.maxDepth} exceeded`);
    });

    it('should answer a document nested thousands of levels deep with 400, not a stack overflow', async () => {
      const res = await gql(gateway, key, `{ sessions { sessions { ${'id { '.repeat(5000)}${'} '.repeat(5000)} } } }`);
      expect(res.status).toBe(400);
    });

    it('should answer a too costly document with 400 naming the cost limit', async () => {
      const fields = 'sessions { total sessions { id status image errorReason createdAt updatedAt } }';
      const fragments = Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { ${fields} ...F${i + 1} }`).join(' ');
      const res = await gql(gateway, key, `{ ...F0 ...F1 ...F2 ...F3 ...F4 ...F5 ...F6 ...F7 ...F8 } ${fragments} fragment F12 on Query { ${fields} }`);
      expect(res.status).toBe(400);
      expect(res.errors?.map((e) => e.message).join('\n')).toContain(`Cost limit of ${GRAPHQL_DOCUMENT_LIMITS.maxCost} exceeded`);
    });
  });

  describe('page bounds', () => {
    it.each([
      ['sessions offset', '{ sessions(offset: 2000000000) { total } }', /offset must be an integer between 0 and 1000000/],
      ['sessions limit', '{ sessions(limit: 2000000000) { total } }', /limit must be an integer between 1 and 100/],
      ['tasks offset', '{ tasks(offset: 2000000000) { total } }', /offset must be an integer between 0 and 1000000/],
    ])('should answer a huge %s with BAD_REQUEST naming the bound', async (_label, query, message) => {
      const res = await gql(gateway, key, query);
      expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_REQUEST' } });
    });

    it('should answer an offset beyond GraphQL Int with a validation error (400)', async () => {
      expect((await gql(gateway, key, '{ sessions(offset: 99999999999999999999) { total } }')).status).toBe(400);
    });
  });
});
