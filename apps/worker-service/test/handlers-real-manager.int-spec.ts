import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointPage, ManagerRoutes, TaskStatus, TaskType } from '@sandbox/contracts';
import { containersLabelled, deleteRedisPrefix, removeManagerContainers, ServiceProcess } from '@sandbox/testing';
import { HandlerRegistry } from '../src/modules/handlers/handler.registry';
import { callService, startManagerWithSession, startWorker, TestWorker, uniquePrefix, waitFor } from './worker-test-kit';

/**
 * The sandbox handlers (docs/api.md, Task types: real handlers, not stubs) against the REAL container-manager, run
 * from dist/ as a child process with a real Docker sandbox; the worker runs in-process.
 */
describe(`${HandlerRegistry.name} with the real container-manager`, () => {
  const prefix = uniquePrefix('handlers-real');
  const dataDir = mkdtempSync(join(tmpdir(), 'handlers-real-manager-'));
  const managerId = `handlers-${randomUUID().slice(0, 8)}`;
  const sessionId = randomUUID();
  let manager: ServiceProcess;
  let worker: TestWorker;

  const managerCall = <T>(method: string, path: string, body?: unknown) => callService<T>(manager.url, method, path, body);
  const finished = (id: string) => waitFor(() => worker.client.getTask(id), (t) => [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled].includes(t.status), 60_000, 100);

  beforeAll(async () => {
    manager = await startManagerWithSession(dataDir, managerId, sessionId);
    worker = await startWorker(prefix, { WORKER_CONCURRENCY: '1', CONTAINER_MANAGER_URL: manager.url });
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    if (manager) await managerCall('DELETE', `/api/internal/sessions/${sessionId}`).catch(() => undefined);
    // Safety net: whatever failed above, leave no sandbox of this manager behind.
    removeManagerContainers(managerId);
    await manager?.stop();
    await deleteRedisPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should run sandbox.exec in the real sandbox and store its real exit code and output', async () => {
    const command = ['sh', '-c', 'echo from-the-worker > worker.txt && cat worker.txt && id -u && echo oops >&2 && exit 3'];
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId, command, timeoutMs: 30_000 }, priority: 10 });
    const done = await finished(task.id);
    // A non-zero exit still completes the task: the exit code is the result.
    expect(done).toMatchObject({
      status: TaskStatus.Completed,
      attempts: 1,
      result: { sessionId, exitCode: 3, stdout: 'from-the-worker\n1000\n', stderr: 'oops\n', timedOut: false, truncated: false },
    });
    expect((done.result as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
  });

  it('should take a sandbox.checkpoint of the change as a real commit, then report committed false when nothing changed', async () => {
    // Its own change to the workspace, made directly on the manager, so this test does not depend on another.
    const write = await managerCall<{ exitCode: number }>('POST', ManagerRoutes.exec(sessionId), { command: `echo ${randomUUID()} > checkpoint.txt` });
    expect(write).toMatchObject({ status: 200, body: { exitCode: 0 } });
    const first = await finished((await worker.client.createTask({ type: TaskType.SandboxCheckpoint, payload: { sessionId, description: 'from the worker' }, priority: 5 })).id);
    expect(first).toMatchObject({ status: TaskStatus.Completed, result: { sessionId, checkpoint: { sessionId, description: 'from the worker' } } });
    const checkpoint = (first.result as { checkpoint: { commitHash: string; filesChanged: number } }).checkpoint;
    expect(checkpoint.commitHash).toMatch(/^[0-9a-f]{40}$/);
    expect(checkpoint.filesChanged).toBeGreaterThanOrEqual(1);

    const listed = await managerCall<CheckpointPage>('GET', ManagerRoutes.checkpoints(sessionId));
    expect(listed.status).toBe(200);
    expect(listed.body.checkpoints.map((c) => c.commitHash)).toContain(checkpoint.commitHash);

    const again = await finished((await worker.client.createTask({ type: TaskType.SandboxCheckpoint, payload: { sessionId }, priority: 5 })).id);
    expect(again).toMatchObject({ status: TaskStatus.Completed, result: { sessionId, checkpoint: { committed: false } } });
  });

  it('should stop the command in the sandbox when a running sandbox.exec task is cancelled', async () => {
    const seconds = (3 + Math.random()).toFixed(3);
    const file = `cancelled-${randomUUID()}`;
    const shell = async (command: string) => (await managerCall<{ stdout: string }>('POST', ManagerRoutes.exec(sessionId), { command })).body.stdout;
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId, command: `sleep ${seconds} && touch ${file}`, timeoutMs: 30_000 }, priority: 10 });
    await waitFor(() => shell('ps -o args'), (listing) => listing.includes(`sleep ${seconds}`), 20_000, 100);
    expect(await worker.client.cancelTask(task.id)).toMatchObject({ status: TaskStatus.Cancelled });
    // Had the command outlived the cancel, the file would exist once the sleep is over.
    expect(await shell(`sleep ${Number(seconds) + 0.5}; test -e ${file} && echo present || echo absent`)).toBe('absent\n');
    expect(await finished(task.id)).toMatchObject({ status: TaskStatus.Cancelled, result: null });
  });

  it('should fail sandbox.exec at once, without retrying, for a session the manager does not know', async () => {
    const task = await worker.client.createTask({ type: TaskType.SandboxExec, payload: { sessionId: randomUUID(), command: 'true' }, priority: 5, maxAttempts: 3 });
    const done = await finished(task.id);
    expect(done).toMatchObject({ status: TaskStatus.Failed, attempts: 1 });
    expect(done.error).toMatch(/not found/i);
  });

  it('should remove the sandbox when the session is deleted', async () => {
    expect(containersLabelled(`sandbox.session-id=${sessionId}`)).toEqual([`sandbox-session-${sessionId}`]);
    const deleted = await managerCall('DELETE', `/api/internal/sessions/${sessionId}`);
    expect(deleted.status).toBe(204);
    expect(containersLabelled(`sandbox.session-id=${sessionId}`)).toEqual([]);
  });
});
