import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';
import { MAX_JSON_DEPTH } from '@sandbox/shared';
import { internalKey, useWorker } from './worker-test-kit';

/**
 * Hostile input on the worker's REST surface, against the real Redis: one clear 4xx each, nothing
 * logged as an unhandled error, and the worker keeps serving.
 */
describe('worker malformed input', () => {
  const worker = useWorker('malformed');
  let errors: jest.SpyInstance;

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
  });

  afterEach(async () => {
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
    expect((await request(`${worker.url}/health`)).statusCode).toBe(200);
  });

  const get = async (path: string) => {
    const res = await request(`${worker.url}${path}`, { headers: { [INTERNAL_KEY_HEADER]: internalKey() } });
    return { status: res.statusCode, body: (await res.body.json()) as { message: string | string[] } };
  };

  it.each([
    ['offset=99999999999999999999', 'offset must be an integer between 0 and 1000000'],
    ['offset=1000001', 'offset must be an integer between 0 and 1000000'],
    ['offset=-1', 'offset must be an integer between 0 and 1000000'],
    ['offset=1.5', 'offset must be an integer between 0 and 1000000'],
    ['limit=99999999999999999999', 'limit must be an integer between 1 and 100'],
    ['limit=abc', 'limit must be an integer between 1 and 100'],
  ])('should answer GET /api/tasks?%s with 400 naming the bound', async (query, message) => {
    const res = await get(`/api/tasks?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
  });

  it('should still list with the largest offset allowed', async () => {
    const res = await get('/api/tasks?offset=1000000&limit=100');
    expect(res.status).toBe(200);
  });

  it.each([
    // 40,000 levels stay under the worker's 100 kB body limit: the depth check, not the size, refuses them.
    ['arrays', '['.repeat(40_000) + ']'.repeat(40_000)],
    ['objects', '{"a":'.repeat(16_000) + '1' + '}'.repeat(16_000)],
    ['a task payload', `{"type":"system.noop","priority":5,"payload":{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`],
  ])('should answer a JSON body of %s nested thousands of levels deep with 400', async (_kind, body) => {
    const res = await request(`${worker.url}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_KEY_HEADER]: internalKey() },
      body,
    });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toEqual({ statusCode: 400, message: `Request body is nested too deeply (at most ${MAX_JSON_DEPTH} levels)` });
  });
});
