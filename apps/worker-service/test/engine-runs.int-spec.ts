import { TaskEventType, TaskStatus, TaskType } from '@sandbox/contracts';
import { TaskProcessor } from '../src/modules/engine/task.processor';
import { TaskRepository } from '../src/modules/tasks/task.repository';
import { useWorker, waitFor } from './worker-test-kit';

/** Status changes are keyed by the run they come from: a late event of one run cannot overwrite a newer run. */
describe(TaskProcessor.name, () => {
  describe('stalled events', () => {
    const worker = useWorker('engine-stalled', { WORKER_CONCURRENCY: '1' });

    it('should leave a running task alone when a stalled event arrives while a run holds it, so its completion still applies', async () => {
      const task = await worker.client.createTask({ type: TaskType.SystemNoop, payload: { durationMs: 1_500 }, priority: 5 });
      await waitFor(() => worker.client.getTask(task.id), (current) => current.status === TaskStatus.Processing);
      // What BullMQ's stalled check reports for an earlier run, handled after this run started.
      await worker.app.app.get(TaskProcessor).onStalled(task.id);
      expect((await worker.client.getTask(task.id)).status).toBe(TaskStatus.Processing);
      const final = await waitFor(() => worker.client.getTask(task.id), (current) => current.status !== TaskStatus.Processing);
      expect(final).toMatchObject({ status: TaskStatus.Completed, attempts: 1, result: { ok: true } });
    });
  });

  describe('transitions keyed by run', () => {
    // API-only: the test plays the engine's runs itself.
    const worker = useWorker('engine-runs', { WORKER_CONCURRENCY: '0' });
    let tasks: TaskRepository;

    beforeAll(() => {
      tasks = worker.app.app.get(TaskRepository);
    });

    const start = (id: string) =>
      tasks.transition(id, { from: [TaskStatus.Pending, TaskStatus.Processing, TaskStatus.Retrying], to: TaskStatus.Processing, countAttempt: true, event: { type: TaskEventType.Log, message: 'started' } });
    const complete = (id: string, run: number) =>
      tasks.transition(id, { from: [TaskStatus.Processing], to: TaskStatus.Completed, run, fields: { result: { run } }, event: { type: TaskEventType.Complete, message: 'Task completed' } });

    it('should refuse the completion of an earlier run once a later run has started, and take the later one', async () => {
      const task = await worker.client.createTask({ type: TaskType.SystemNoop, payload: {}, priority: 5 });
      await start(task.id); // run 1, then its worker is taken for dead
      await start(task.id); // run 2

      expect(await complete(task.id, 1)).toEqual({ applied: false, current: TaskStatus.Processing });
      expect(await worker.client.getTask(task.id)).toMatchObject({ status: TaskStatus.Processing, attempts: 2, result: null });

      expect(await complete(task.id, 2)).toMatchObject({ applied: true, previous: TaskStatus.Processing });
      expect(await worker.client.getTask(task.id)).toMatchObject({ status: TaskStatus.Completed, attempts: 2, result: { run: 2 } });
    });

    it('should refuse a retry of an earlier run, so the later run stays processing', async () => {
      const task = await worker.client.createTask({ type: TaskType.SystemNoop, payload: {}, priority: 5 });
      await start(task.id);
      await start(task.id);
      const late = await tasks.transition(task.id, { from: [TaskStatus.Processing], to: TaskStatus.Retrying, run: 1, fields: { error: 'late failure of run 1' } });
      expect(late.applied).toBe(false);
      expect(await worker.client.getTask(task.id)).toMatchObject({ status: TaskStatus.Processing, attempts: 2, error: null });
    });
  });
});
