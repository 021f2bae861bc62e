import { Args, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { CreateJobInput, CreateTaskInput, JobIdArgs, TaskIdArgs, TasksArgs } from './dto/task.inputs';
import { JobModel, TaskEventModel, TaskModel, TaskPageModel } from './models/task.model';
import { TasksService } from './tasks.service';

/** Tasks and cron jobs over GraphQL (docs/api.md, api-gateway: tasks and jobs), scoped to the caller's own. */
@Resolver()
@Authenticated()
export class TasksResolver {
  constructor(private readonly service: TasksService) {}

  @Query(() => TaskModel, { nullable: true })
  task(@CurrentUser() user: AuthenticatedUser, @Args() { taskId }: TaskIdArgs): Promise<TaskModel> {
    return this.service.task(user, taskId);
  }

  @Query(() => TaskPageModel)
  tasks(@CurrentUser() user: AuthenticatedUser, @Args() args: TasksArgs): Promise<TaskPageModel> {
    return this.service.tasks(user, args);
  }

  @Mutation(() => TaskModel)
  createTask(@CurrentUser() user: AuthenticatedUser, @Args('input') input: CreateTaskInput): Promise<TaskModel> {
    return this.service.createTask(user, input);
  }

  @Mutation(() => TaskModel)
  cancelTask(@CurrentUser() user: AuthenticatedUser, @Args() { taskId }: TaskIdArgs): Promise<TaskModel> {
    return this.service.cancelTask(user, taskId);
  }

  @Query(() => JobModel, { nullable: true })
  job(@CurrentUser() user: AuthenticatedUser, @Args() { jobId }: JobIdArgs): Promise<JobModel> {
    return this.service.job(user, jobId);
  }

  @Query(() => [JobModel])
  jobs(@CurrentUser() user: AuthenticatedUser): Promise<JobModel[]> {
    return this.service.jobs(user);
  }

  @Mutation(() => JobModel)
  createJob(@CurrentUser() user: AuthenticatedUser, @Args('input') input: CreateJobInput): Promise<JobModel> {
    return this.service.createJob(user, input);
  }

  @Mutation(() => JobModel)
  pauseJob(@CurrentUser() user: AuthenticatedUser, @Args() { jobId }: JobIdArgs): Promise<JobModel> {
    return this.service.pauseJob(user, jobId);
  }

  @Mutation(() => JobModel)
  resumeJob(@CurrentUser() user: AuthenticatedUser, @Args() { jobId }: JobIdArgs): Promise<JobModel> {
    return this.service.resumeJob(user, jobId);
  }

  @Mutation(() => Boolean)
  deleteJob(@CurrentUser() user: AuthenticatedUser, @Args() { jobId }: JobIdArgs): Promise<boolean> {
    return this.service.deleteJob(user, jobId);
  }

  @Subscription(() => TaskEventModel, { description: 'Past events of the task, then live ones, ending with COMPLETE or ERROR.' })
  taskEvents(@CurrentUser() user: AuthenticatedUser, @Args() { taskId }: TaskIdArgs): Promise<AsyncIterableIterator<{ taskEvents: TaskEventModel }>> {
    return this.service.taskEvents(user, taskId);
  }
}
