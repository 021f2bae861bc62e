#!/usr/bin/env node
// The seed's integration flow (tracker issue 7), against live services. Two parts:
//
//  1. worker REST (always): health; create/get/cancel a task; create/pause/resume/delete a job (docs/api.md, worker-service).
//     WORKER_SERVICE_URL (default http://127.0.0.1:4001), INTERNAL_SERVICE_KEY (default: from .data/stack.env).
//  2. GraphQL end to end through the api-gateway (docs/api.md, api-gateway), when API_GATEWAY_URL is set: gateway /health;
//     createSession → ACTIVE; exec `echo hi`; a HIGH `sandbox.exec` task → COMPLETED with the command's
//     output; createTask + cancelTask → FAILED (raw `cancelled`); createJob/pauseJob/resumeJob/deleteJob
//     with the status mapping; `checkpoints` shows the auto-checkpoint of the task's file write;
//     deleteSession. DEV_API_KEY (default: from .data/stack.env) is the caller's API key.
//
// Against the local stack started by `npm start` (the gateway on :4000, keys in .data/stack.env):
//   API_GATEWAY_URL=http://127.0.0.1:4000 node scripts/integration-flow.mjs
// Worker REST part only:
//   node scripts/integration-flow.mjs
//
// Prints one line per step with its duration; exits 1 at the first step that does not behave as the spec
// says (2 when the configuration is missing). The session and job it creates are deleted even on failure.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

function stackVar(name) {
  if (process.env[name]) return process.env[name];
  const file = join(process.env.DATA_DIR ?? join(root, '.data'), 'stack.env');
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).replace(/^(['"])(.*)\1$/, '$2');
}

function configError(message) {
  console.error(message);
  process.exit(2);
}

const base = (process.env.WORKER_SERVICE_URL ?? 'http://127.0.0.1:4001').replace(/\/$/, '');
const key = (stackVar('INTERNAL_SERVICE_KEY') ?? '').split(',')[0].trim();
if (!key) configError('INTERNAL_SERVICE_KEY is not set (and no .data/stack.env)');
// The gateway part runs only when asked for: the worker-only mode must not reach a gateway by default.
const gateway = process.env.API_GATEWAY_URL ? process.env.API_GATEWAY_URL.replace(/\/$/, '') : null;
const apiKey = gateway ? (stackVar('DEV_API_KEY') ?? '').trim() : '';
if (gateway && !apiKey) configError('API_GATEWAY_URL is set but DEV_API_KEY is not (and not in .data/stack.env): the GraphQL part needs an API key');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------- steps

class StepFailure extends Error {}
let stepCount = 0;

/**
 * Runs one step: prints `ok N - label [note] (X ms)`, or throws naming the step and what went wrong.
 * `fn` may set `info.note` (an id worth seeing in the output).
 */
async function step(label, fn) {
  stepCount++;
  const started = performance.now();
  const info = { note: '' };
  try {
    const value = await fn(info);
    console.log(`ok ${stepCount} - ${label}${info.note ? ` [${info.note}]` : ''} (${Math.round(performance.now() - started)} ms)`);
    return value;
  } catch (error) {
    throw new StepFailure(`step ${stepCount} (${label}) failed after ${Math.round(performance.now() - started)} ms: ${error.message}`);
  }
}

/** Inside a step: fails it with `detail` unless `condition` holds. */
function expect(condition, what, detail) {
  if (!condition) throw new Error(`${what}; got ${JSON.stringify(detail)}`);
}

/** Bounded polling: `read` until `done` holds, else the last value after `timeoutMs`. */
async function poll(read, done, timeoutMs, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

// -------------------------------------------------------------------------------------- worker REST

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

const taskFinished = (id, statuses, timeoutMs = 15_000) => poll(() => call('GET', `/api/tasks/${id}`), (task) => statuses.includes(task.status), timeoutMs, 100);

async function workerFlow() {
  await step('worker GET /health answers ok with a timestamp', async () => {
    const health = await call('GET', '/health');
    expect(health.status === 'ok' && !Number.isNaN(Date.parse(health.timestamp)), 'expected status ok and a timestamp', health);
  });
  await step('worker GET /api/tasks without the key is 403', async () => {
    const forbidden = await fetch(`${base}/api/tasks`, { signal: AbortSignal.timeout(10_000) });
    expect(forbidden.status === 403, 'expected 403', forbidden.status);
  });

  const task = await step('POST /api/tasks creates a pending task', async () => {
    const created = await call('POST', '/api/tasks', { type: 'system.noop', payload: {}, priority: 10 }, 201);
    expect(created.status === 'pending' && created.priority === 10, 'expected pending with priority 10', created);
    return created;
  });
  await step('GET /api/tasks/:id shows it completed', async () => {
    const done = await taskFinished(task.id, ['completed', 'failed']);
    expect(done.status === 'completed', 'expected completed', done);
  });
  await step('POST /api/tasks/:id/cancel cancels it', async () => {
    const slow = await call('POST', '/api/tasks', { type: 'system.noop', payload: { durationMs: 30_000 }, priority: 5 }, 201);
    const cancelled = await call('POST', `/api/tasks/${slow.id}/cancel`);
    expect(cancelled.status === 'cancelled', 'expected cancelled', cancelled);
  });

  await step('an unknown type is a 400 listing the known types', async () => {
    const unknown = await call('POST', '/api/tasks', { type: 'nope', payload: {}, priority: 5 }, 400);
    expect(/Known types: .*sandbox\.exec/.test(unknown.message), 'expected the known types', unknown);
  });
  await step('an unknown task is 404 Task not found', async () => {
    const missing = await call('GET', '/api/tasks/does-not-exist', undefined, 404);
    expect(missing.message === 'Task not found', 'expected Task not found', missing);
  });
  await step('GET /api/tasks filters by status and type with a total', async () => {
    const list = await call('GET', `/api/tasks?status=completed&type=system.noop&limit=5`);
    expect(list.total >= 1 && list.tasks.every((t) => t.status === 'completed'), 'expected completed tasks only', list);
  });

  await step('an invalid cron is a 400', async () => {
    const badCron = await call('POST', '/api/jobs', { name: 'bad', type: 'system.noop', payload: {}, cron: 'not a cron' }, 400);
    expect(/Invalid cron expression/.test(badCron.message), 'expected Invalid cron expression', badCron);
  });
  const job = await step('POST /api/jobs creates an active job with a next run', async () => {
    const created = await call('POST', '/api/jobs', { name: 'integration flow', type: 'system.noop', payload: {}, cron: '0 3 * * *', timezone: 'Europe/Paris' }, 201);
    expect(created.status === 'active' && created.nextRunAt, 'expected active with a next run', created);
    return created;
  });
  await step('POST /api/jobs/:id/pause pauses it', async () => {
    const paused = await call('POST', `/api/jobs/${job.id}/pause`);
    expect(paused.status === 'paused' && paused.nextRunAt === null, 'expected paused without a next run', paused);
  });
  await step('POST /api/jobs/:id/resume resumes it', async () => {
    const resumed = await call('POST', `/api/jobs/${job.id}/resume`);
    expect(resumed.status === 'active' && resumed.nextRunAt, 'expected active with a next run', resumed);
  });
  await step('GET /api/jobs lists it', async () => {
    const listed = await call('GET', '/api/jobs');
    expect(listed.jobs.some((j) => j.id === job.id), `expected job ${job.id} in the list`, listed);
  });
  await step('DELETE /api/jobs/:id deletes it (then 404 Job not found)', async () => {
    await call('DELETE', `/api/jobs/${job.id}`);
    const gone = await call('GET', `/api/jobs/${job.id}`, undefined, 404);
    expect(gone.message === 'Job not found', 'expected Job not found', gone);
  });
}

// ---------------------------------------------------------------------------------- gateway GraphQL

/** One GraphQL operation; `data` on success, else throws with the errors' messages and codes. */
async function gql(query, variables = {}, { auth = true, allowErrors = false } = {}) {
  const response = await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(auth ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`POST /graphql: HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`);
  }
  if (allowErrors) return { status: response.status, ...body };
  if (body.errors?.length) {
    const errors = body.errors.map((e) => `${e.message} [${e.extensions?.code ?? 'no code'}]`).join('; ');
    throw new Error(`GraphQL error (HTTP ${response.status}): ${errors}`);
  }
  if (response.status !== 200) throw new Error(`POST /graphql: HTTP ${response.status} ${text.slice(0, 500)}`);
  return body.data;
}

const TASK_FIELDS = 'id type status rawStatus priority attempts result error';
const JOB_FIELDS = 'id name status rawStatus nextRunAt';
const FLOW_FILE = 'integration-flow.txt';
const FLOW_TEXT = `integration flow ${process.pid}`;

/** What the gateway part created, deleted in `cleanUp` whatever happened. */
const created = { sessionId: null, jobId: null };

async function gatewayFlow() {
  await step('gateway GET /health answers ok (database, worker, container-manager up)', async () => {
    const response = await fetch(`${gateway}/health`, { signal: AbortSignal.timeout(10_000) });
    const health = await response.json();
    expect(response.status === 200 && health.status === 'ok' && !Number.isNaN(Date.parse(health.timestamp)), 'expected 200 status ok with a timestamp', health);
    const down = ['database', 'worker', 'containerManager'].filter((name) => health.info?.[name]?.status !== 'up');
    expect(down.length === 0, `expected ${down.join(', ')} up`, health);
  });
  await step('GraphQL without an API key is 401 UNAUTHENTICATED', async () => {
    const anonymous = await gql('{ sessions { total } }', {}, { auth: false, allowErrors: true });
    expect(anonymous.status === 401 && anonymous.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 'expected 401 UNAUTHENTICATED', anonymous);
  });

  const session = await step('createSession returns a PENDING session at once', async (info) => {
    const { createSession } = await gql('mutation { createSession { id status } }');
    created.sessionId = createSession.id;
    info.note = `session ${createSession.id}`;
    expect(createSession.id && createSession.status === 'PENDING', 'expected an id and PENDING', createSession);
    return createSession;
  });
  const sessionId = session.id;
  await step('session(id) turns ACTIVE (the sandbox is running)', async () => {
    const read = async () => (await gql('query($id: ID!) { session(id: $id) { id status errorReason } }', { id: sessionId })).session;
    const last = await poll(read, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR', 120_000, 250);
    expect(last?.status === 'ACTIVE', 'expected ACTIVE within 120 s', last);
  });
  await step('exec `echo hi` answers stdout "hi"', async () => {
    const { exec } = await gql('mutation($id: ID!) { exec(sessionId: $id, input: { command: "echo hi" }) { exitCode stdout stderr timedOut } }', { id: sessionId });
    expect(exec.exitCode === 0 && exec.stdout === 'hi\n' && !exec.timedOut, 'expected exit 0 and stdout "hi\\n"', exec);
  });

  const createTask = 'mutation($input: CreateTaskInput!) { createTask(input: $input) { ' + TASK_FIELDS + ' } }';
  const execTask = await step('createTask sandbox.exec with priority HIGH is PENDING', async () => {
    const payload = { sessionId, command: `echo "${FLOW_TEXT}" > ${FLOW_FILE} && cat ${FLOW_FILE}`, timeoutMs: 30_000 };
    const { createTask: task } = await gql(createTask, { input: { type: 'sandbox.exec', payload, priority: 'HIGH' } });
    expect(task.type === 'sandbox.exec' && task.priority === 'HIGH' && task.status === 'PENDING' && task.rawStatus === 'pending', 'expected a PENDING HIGH sandbox.exec task', task);
    return task;
  });
  await step('task(taskId) turns COMPLETED with the command output as its result', async () => {
    const read = async () => (await gql('query($id: String!) { task(taskId: $id) { ' + TASK_FIELDS + ' } }', { id: execTask.id })).task;
    const last = await poll(read, (t) => t?.status === 'COMPLETED' || t?.status === 'FAILED', 60_000, 200);
    expect(last?.status === 'COMPLETED' && last.rawStatus === 'completed', 'expected COMPLETED', last);
    expect(last.result?.sessionId === sessionId && last.result.exitCode === 0 && last.result.stdout === `${FLOW_TEXT}\n`, `expected exit 0 and stdout "${FLOW_TEXT}"`, last.result);
  });
  await step('createTask + cancelTask: FAILED with raw status cancelled', async () => {
    const { createTask: slow } = await gql(createTask, { input: { type: 'system.noop', payload: { durationMs: 30_000 }, priority: 'LOW' } });
    expect(slow.priority === 'LOW', 'expected priority LOW', slow);
    const { cancelTask } = await gql('mutation($id: String!) { cancelTask(taskId: $id) { ' + TASK_FIELDS + ' } }', { id: slow.id });
    expect(cancelTask.status === 'FAILED' && cancelTask.rawStatus === 'cancelled', 'expected FAILED / cancelled', cancelTask);
    const { task } = await gql('query($id: String!) { task(taskId: $id) { status rawStatus } }', { id: slow.id });
    expect(task.status === 'FAILED' && task.rawStatus === 'cancelled', 'expected it to stay FAILED / cancelled', task);
  });

  const job = await step('createJob is ACTIVE (raw active) with a next run', async () => {
    const input = { name: 'integration flow (GraphQL)', type: 'system.noop', payload: {}, cron: '0 3 * * *', timezone: 'Europe/Paris' };
    const { createJob } = await gql('mutation($input: CreateJobInput!) { createJob(input: $input) { ' + JOB_FIELDS + ' } }', { input });
    created.jobId = createJob.id;
    expect(createJob.status === 'ACTIVE' && createJob.rawStatus === 'active' && createJob.nextRunAt, 'expected ACTIVE with a next run', createJob);
    return createJob;
  });
  await step('pauseJob is PAUSED (raw paused) without a next run', async () => {
    const { pauseJob } = await gql('mutation($id: String!) { pauseJob(jobId: $id) { ' + JOB_FIELDS + ' } }', { id: job.id });
    expect(pauseJob.status === 'PAUSED' && pauseJob.rawStatus === 'paused' && pauseJob.nextRunAt === null, 'expected PAUSED', pauseJob);
  });
  await step('resumeJob is ACTIVE again, and jobs lists it', async () => {
    const { resumeJob } = await gql('mutation($id: String!) { resumeJob(jobId: $id) { ' + JOB_FIELDS + ' } }', { id: job.id });
    expect(resumeJob.status === 'ACTIVE' && resumeJob.rawStatus === 'active' && resumeJob.nextRunAt, 'expected ACTIVE with a next run', resumeJob);
    const { jobs } = await gql('{ jobs { id status } }');
    expect(jobs.some((j) => j.id === job.id && j.status === 'ACTIVE'), `expected job ${job.id} ACTIVE in jobs`, jobs);
  });
  await step('deleteJob answers true, then job(jobId) is Job not found', async () => {
    const { deleteJob } = await gql('mutation($id: String!) { deleteJob(jobId: $id) }', { id: job.id });
    expect(deleteJob === true, 'expected true', deleteJob);
    created.jobId = null;
    const after = await gql('query($id: String!) { job(jobId: $id) { id } }', { id: job.id }, { allowErrors: true });
    expect(after.data?.job === null && after.errors?.[0]?.message === 'Job not found' && after.errors[0].extensions?.code === 'NOT_FOUND', 'expected NOT_FOUND Job not found', after);
  });

  await step('checkpoints(sessionId) shows the auto-checkpoint of the task\'s file write', async () => {
    const read = async () => (await gql('query($id: ID!) { checkpoints(sessionId: $id) { commitHash filesChanged description } }', { id: sessionId })).checkpoints;
    const last = await poll(read, (list) => list.length > 0, 30_000, 250);
    expect(last.length > 0 && last.every((c) => /^[0-9a-f]{40}$/.test(c.commitHash)), 'expected at least one checkpoint with a 40-hex commit hash within 30 s', last);
  });

  await step('deleteSession answers true, then session(id) is NOT_FOUND', async () => {
    const { deleteSession } = await gql('mutation($id: ID!) { deleteSession(id: $id) }', { id: sessionId });
    expect(deleteSession === true, 'expected true', deleteSession);
    created.sessionId = null;
    const gone = await gql('query($id: ID!) { session(id: $id) { id } }', { id: sessionId }, { allowErrors: true });
    const error = gone.errors?.[0];
    expect(error?.extensions?.code === 'NOT_FOUND' && error.message === `Session ${sessionId} not found`, `expected NOT_FOUND Session ${sessionId} not found`, gone);
  });
}

/** After a failure: delete what the gateway part created, so a failed run leaves no sandbox behind. */
async function cleanUp() {
  if (!gateway) return;
  if (created.jobId) await gql('mutation($id: String!) { deleteJob(jobId: $id) }', { id: created.jobId }).catch((e) => console.error(`cleanup: deleteJob ${created.jobId}: ${e.message}`));
  if (created.sessionId) await gql('mutation($id: ID!) { deleteSession(id: $id) }', { id: created.sessionId }).catch((e) => console.error(`cleanup: deleteSession ${created.sessionId}: ${e.message}`));
}

async function main() {
  const started = performance.now();
  await workerFlow();
  const workerSteps = stepCount;
  console.log(`integration flow (worker REST): ${workerSteps} checks passed against ${base}`);
  if (gateway) {
    await gatewayFlow();
    console.log(`integration flow (gateway GraphQL): ${stepCount - workerSteps} checks passed against ${gateway}`);
  }
  console.log(`integration flow: all ${stepCount} steps passed in ${Math.round(performance.now() - started)} ms`);
}

main().catch(async (error) => {
  console.error(`FAILED: ${error instanceof StepFailure ? error.message : error.stack ?? error}`);
  await cleanUp();
  process.exit(1);
});
