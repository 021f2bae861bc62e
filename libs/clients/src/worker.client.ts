import type { Dispatcher } from 'undici';
import {
  CreateJobRequest,
  CreateTaskRequest,
  HealthResponse,
  Job,
  JobList,
  Task,
  TaskListQuery,
  TaskPage,
  WorkerErrors,
  WorkerRoutes,
} from '@sandbox/contracts';
import { ServiceClientOptions, ServiceHttpClient } from './http-client';

/** The worker-service's REST API (docs/api.md, worker-service: tasks and jobs). Unreachable → `Worker Service is unavailable`. */
export class WorkerClient extends ServiceHttpClient {
  constructor(options: ServiceClientOptions) {
    super('worker-service', { unavailableMessage: WorkerErrors.unavailable, ...options });
  }

  health(): Promise<HealthResponse> {
    return this.get(WorkerRoutes.health);
  }

  createTask(body: CreateTaskRequest): Promise<Task> {
    return this.post(WorkerRoutes.tasks, body);
  }

  listTasks(query: TaskListQuery = {}): Promise<TaskPage> {
    return this.get(WorkerRoutes.tasks, { query: { ...query } });
  }

  getTask(id: string): Promise<Task> {
    return this.get(WorkerRoutes.task(id));
  }

  cancelTask(id: string): Promise<Task> {
    return this.post(WorkerRoutes.cancelTask(id));
  }

  /** The task's server-sent events (`text/event-stream`), left open until the terminal event. */
  taskEventStream(id: string): Promise<Dispatcher.ResponseData> {
    return this.stream('GET', WorkerRoutes.taskEvents(id), { headers: { accept: 'text/event-stream' }, timeoutMs: 24 * 3600_000 });
  }

  createJob(body: CreateJobRequest): Promise<Job> {
    return this.post(WorkerRoutes.jobs, body);
  }

  listJobs(ownerId?: string): Promise<JobList> {
    return this.get(WorkerRoutes.jobs, { query: { ownerId } });
  }

  getJob(id: string): Promise<Job> {
    return this.get(WorkerRoutes.job(id));
  }

  pauseJob(id: string): Promise<Job> {
    return this.post(WorkerRoutes.pauseJob(id));
  }

  resumeJob(id: string): Promise<Job> {
    return this.post(WorkerRoutes.resumeJob(id));
  }

  deleteJob(id: string): Promise<unknown> {
    return this.delete(WorkerRoutes.job(id));
  }
}
