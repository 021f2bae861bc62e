#!/usr/bin/env node
// The seed's integration flow, worker REST part: health; create/get/cancel a task; create/pause/resume/
// delete a job. Runs against a live worker-service:
//   WORKER_SERVICE_URL (default http://127.0.0.1:4001), INTERNAL_SERVICE_KEY (default: from .data/stack.env).
// Exits non-zero at the first step that does not behave as SPEC §5 says.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

function stackVar(name) {
  if (process.env[name]) return process.env[name];
  const file = join(process.env.DATA_DIR ?? join(root, '.data'), 'stack.env');
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).replace(/^(['"])(.*)\1$/, '$2');
}

const base = (process.env.WORKER_SERVICE_URL ?? 'http://127.0.0.1:4001').replace(/\/$/, '');
const key = (stackVar('INTERNAL_SERVICE_KEY') ?? '').split(',')[0].trim();
if (!key) {
  console.error('INTERNAL_SERVICE_KEY is not set (and no .data/stack.env)');
  process.exit(2);
}

let step = 0;
async function call(method, path, body, expected = 200) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-internal-service-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (response.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${response.status} ${text}`);
  return json;
}

function check(label, condition, detail) {
  step++;
  if (!condition) throw new Error(`step ${step} (${label}) failed: ${JSON.stringify(detail)}`);
  console.log(`ok ${step} - ${label}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForStatus(id, statuses, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await call('GET', `/api/tasks/${id}`);
    if (statuses.includes(task.status) || Date.now() > deadline) return task;
    await sleep(100);
  }
}

async function main() {
  const health = await call('GET', '/health');
  check('GET /health answers ok with a timestamp', health.status === 'ok' && !Number.isNaN(Date.parse(health.timestamp)), health);

  const forbidden = await fetch(`${base}/api/tasks`);
  check('GET /api/tasks without the key is 403', forbidden.status === 403, forbidden.status);

  const task = await call('POST', '/api/tasks', { type: 'system.noop', payload: {}, priority: 10 }, 201);
  check('POST /api/tasks creates a pending task', task.status === 'pending' && task.priority === 10, task);
  const done = await waitForStatus(task.id, ['completed', 'failed']);
  check('GET /api/tasks/:id shows it completed', done.status === 'completed', done);

  const slow = await call('POST', '/api/tasks', { type: 'system.noop', payload: { durationMs: 30_000 }, priority: 5 }, 201);
  const cancelled = await call('POST', `/api/tasks/${slow.id}/cancel`);
  check('POST /api/tasks/:id/cancel cancels it', cancelled.status === 'cancelled', cancelled);

  const unknown = await call('POST', '/api/tasks', { type: 'nope', payload: {}, priority: 5 }, 400);
  check('an unknown type is a 400 listing the known types', /Known types: .*sandbox\.exec/.test(unknown.message), unknown);
  const missing = await call('GET', '/api/tasks/does-not-exist', undefined, 404);
  check('an unknown task is 404 Task not found', missing.message === 'Task not found', missing);

  const list = await call('GET', `/api/tasks?status=completed&type=system.noop&limit=5`);
  check('GET /api/tasks filters by status and type with a total', list.total >= 1 && list.tasks.every((t) => t.status === 'completed'), list);

  const badCron = await call('POST', '/api/jobs', { name: 'bad', type: 'system.noop', payload: {}, cron: 'not a cron' }, 400);
  check('an invalid cron is a 400', /Invalid cron expression/.test(badCron.message), badCron);

  const job = await call('POST', '/api/jobs', { name: 'integration flow', type: 'system.noop', payload: {}, cron: '0 3 * * *', timezone: 'Europe/Paris' }, 201);
  check('POST /api/jobs creates an active job with a next run', job.status === 'active' && job.nextRunAt, job);
  const paused = await call('POST', `/api/jobs/${job.id}/pause`);
  check('POST /api/jobs/:id/pause pauses it', paused.status === 'paused' && paused.nextRunAt === null, paused);
  const resumed = await call('POST', `/api/jobs/${job.id}/resume`);
  check('POST /api/jobs/:id/resume resumes it', resumed.status === 'active' && resumed.nextRunAt, resumed);
  const listed = await call('GET', '/api/jobs');
  check('GET /api/jobs lists it', listed.jobs.some((j) => j.id === job.id), listed);
  await call('DELETE', `/api/jobs/${job.id}`);
  const gone = await call('GET', `/api/jobs/${job.id}`, undefined, 404);
  check('DELETE /api/jobs/:id deletes it (then 404 Job not found)', gone.message === 'Job not found', gone);

  console.log(`integration flow (worker REST): ${step} checks passed against ${base}`);
}

main().catch((error) => {
  console.error(`FAILED: ${error.message}`);
  process.exit(1);
});
