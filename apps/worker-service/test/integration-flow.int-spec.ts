import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@sandbox/testing';
import { internalKey, useWorker } from './worker-test-kit';

const run = promisify(execFile);

describe('scripts/integration-flow.mjs', () => {
  const worker = useWorker('flow', { WORKER_CONCURRENCY: '2' });

  it('should pass every step of the seed flow against a running worker', async () => {
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'scripts/integration-flow.mjs')], { env: { ...process.env, WORKER_SERVICE_URL: worker.url, INTERNAL_SERVICE_KEY: internalKey(), API_GATEWAY_URL: '' }, timeout: 60_000 });
    expect(stdout).toContain('checks passed');
    expect(stdout).not.toContain('FAILED');
    // Worker-only mode: no API_GATEWAY_URL, no GraphQL part.
    expect(stdout).not.toContain('gateway GraphQL');
  });

  it('should fail when the worker does not answer', async () => {
    const error = await run(process.execPath, [join(REPO_ROOT, 'scripts/integration-flow.mjs')], { env: { ...process.env, WORKER_SERVICE_URL: 'http://127.0.0.1:9', INTERNAL_SERVICE_KEY: internalKey() }, timeout: 30_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 1 });
  });
});
