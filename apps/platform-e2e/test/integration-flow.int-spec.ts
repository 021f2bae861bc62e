import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { containersLabelled, PlatformProcesses, REPO_ROOT, requireStackVar, ServiceProcess, startPlatformProcesses } from '@sandbox/testing';

const SCRIPT = join(REPO_ROOT, 'scripts/integration-flow.mjs');

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node scripts/integration-flow.mjs` with exactly `env` (plus PATH), bounded by `timeoutMs`. */
function runFlow(env: Record<string, string>, timeoutMs: number): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Tracker issue 7: the seed's integration flow as a script, run against the three services as real
 * processes from dist/ (real PostgreSQL, Redis and Docker), worker REST part and GraphQL part.
 */
describe('scripts/integration-flow.mjs against the whole platform', () => {
  const scriptDir = mkdtempSync(join(tmpdir(), 'integration-flow-script-'));
  const devApiKey = `sk_dev_${randomBytes(24).toString('hex')}`;
  let platform: PlatformProcesses;
  let gateway: ServiceProcess;
  let db: pg.Pool;
  let scriptEnv: Record<string, string>;

  beforeAll(async () => {
    platform = await startPlatformProcesses('flow', {
      services: {
        'container-manager': { OUTBOX_BACKOFF_BASE_MS: '100', OUTBOX_POLL_MS: '100' },
        // The gateway ensures DEV_API_KEY (user `dev`) at boot: the key the script calls GraphQL with.
        'api-gateway': { DEV_API_KEY: devApiKey },
      },
    });
    gateway = platform.services['api-gateway'];
    db = new pg.Pool({ connectionString: requireStackVar('TEST_DATABASE_URL'), max: 2 });
    // DATA_DIR points at an empty directory: the script reads nothing from the repository's stack.env.
    scriptEnv = { WORKER_SERVICE_URL: platform.services['worker-service'].url, INTERNAL_SERVICE_KEY: platform.internalKey, API_GATEWAY_URL: gateway.url, DEV_API_KEY: devApiKey, DATA_DIR: scriptDir };
  }, 120_000);

  afterAll(async () => {
    // Safety net only (the test asserts the script cleaned up): nothing of this manager's may survive the suite.
    await platform?.stop();
    await db?.end();
    rmSync(scriptDir, { recursive: true, force: true });
  });

  it('should pass every step, worker REST and GraphQL end to end, and leave no session or container behind', async () => {
    const run = await runFlow(scriptEnv, 240_000);
    if (run.code !== 0) throw new Error(`integration flow exited ${run.code}\n${run.stdout}\n${run.stderr}\n${platform.output(3000)}`);
    expect(run.stderr).not.toContain('FAILED');

    const steps = [
      'worker GET /health answers ok with a timestamp',
      'DELETE /api/jobs/:id deletes it (then 404 Job not found)',
      'gateway GET /health answers ok (database, worker, container-manager up)',
      'GraphQL without an API key is 401 UNAUTHENTICATED',
      'createSession returns a PENDING session at once',
      'session(id) turns ACTIVE (the sandbox is running)',
      'exec `echo hi` answers stdout "hi"',
      'createTask sandbox.exec with priority HIGH is PENDING',
      'task(taskId) turns COMPLETED with the command output as its result',
      'createTask + cancelTask: FAILED with raw status cancelled',
      'createJob is ACTIVE (raw active) with a next run',
      'pauseJob is PAUSED (raw paused) without a next run',
      'resumeJob is ACTIVE again, and jobs lists it',
      'deleteJob answers true, then job(jobId) is Job not found',
      "checkpoints(sessionId) shows the auto-checkpoint of the task's file write",
      'deleteSession answers true, then session(id) is NOT_FOUND',
    ];
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const label of steps) expect(run.stdout).toMatch(new RegExp(`^ok \\d+ - ${escape(label)}( \\[[^\\]]+\\])? \\(\\d+ ms\\)$`, 'm'));
    expect(run.stdout).toMatch(/^integration flow \(worker REST\): \d+ checks passed/m);
    expect(run.stdout).toMatch(new RegExp(`^integration flow \\(gateway GraphQL\\): 14 checks passed against ${escape(gateway.url)}$`, 'm'));

    const sessionId = /\[session ([0-9a-f-]{36})\]/.exec(run.stdout)?.[1];
    expect(sessionId).toBeDefined();
    const { rows } = await db.query('SELECT id FROM sessions WHERE id = $1', [sessionId]);
    expect(rows).toEqual([]);
    expect(containersLabelled('sandbox.test=true', `sandbox.session-id=${sessionId}`)).toEqual([]);
    expect(containersLabelled(`sandbox.manager-id=${platform.managerId}`)).toEqual([]);
  }, 300_000);

  it('should exit 1 naming the failing GraphQL step when the API key is not accepted', async () => {
    const run = await runFlow({ ...scriptEnv, DEV_API_KEY: `sk_dev_${randomBytes(24).toString('hex')}` }, 120_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^integration flow \(worker REST\): \d+ checks passed/m);
    expect(run.stderr).toMatch(/^FAILED: step \d+ \(createSession returns a PENDING session at once\) failed after \d+ ms: GraphQL error \(HTTP 401\): .*\[UNAUTHENTICATED\]/m);
    expect(run.stdout).not.toContain('gateway GraphQL): ');
  }, 180_000);

  it('should exit 2 with a clear message when API_GATEWAY_URL is set without an API key', async () => {
    const run = await runFlow({ ...scriptEnv, DEV_API_KEY: '' }, 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('API_GATEWAY_URL is set but DEV_API_KEY is not');
  });
});
