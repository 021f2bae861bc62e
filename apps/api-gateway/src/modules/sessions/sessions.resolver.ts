import { Args, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import {
  CheckpointsArgs,
  CommitCheckpointArgs,
  CreateSessionInput,
  ExecArgs,
  FilePathArgs,
  ListFilesArgs,
  MoveFileArgs,
  ReadFileArgs,
  RegisterPreviewArgs,
  SessionIdArgs,
  SessionScopedArgs,
  SessionsArgs,
  WriteFileArgs,
} from './dto/graphql.inputs';
import { GitCheckpointModel } from './models/git-checkpoint.model';
import { ExecResultModel, FileEntryModel, PreviewModel } from './models/sandbox.model';
import { SessionEventModel, SessionEventType } from './models/session-event.model';
import { SessionModel, SessionPageModel, SessionUsageModel } from './models/session.model';
import { SessionEventsService } from './session-events.service';
import { SessionsService } from './sessions.service';
import { FileType } from './models/sandbox.model';

/** Sessions over GraphQL (docs/api.md, api-gateway: sessions): thin, every field scoped to the caller's own sessions. */
@Resolver(() => SessionModel)
@Authenticated()
export class SessionsResolver {
  constructor(
    private readonly service: SessionsService,
    private readonly events: SessionEventsService,
  ) {}

  /** An unknown id (or another owner's) answers NOT_FOUND `Session {id} not found`, like every session operation. */
  @Query(() => SessionModel, { nullable: true })
  session(@CurrentUser() user: AuthenticatedUser, @Args() { id }: SessionIdArgs): Promise<SessionModel | null> {
    return this.service.get(user, id);
  }

  @Query(() => SessionPageModel)
  sessions(@CurrentUser() user: AuthenticatedUser, @Args() args: SessionsArgs): Promise<SessionPageModel> {
    return this.service.list(user, args);
  }

  @Mutation(() => SessionModel, { description: 'Returns at once with status PENDING; follow sessionEvents for ACTIVE or ERROR.' })
  createSession(
    @CurrentUser() user: AuthenticatedUser,
    @Args('input', { type: () => CreateSessionInput, nullable: true }) input?: CreateSessionInput,
  ): Promise<SessionModel> {
    return this.service.create(user, input ?? {});
  }

  @Mutation(() => SessionModel)
  stopSession(@CurrentUser() user: AuthenticatedUser, @Args() { id }: SessionIdArgs): Promise<SessionModel> {
    return this.service.stop(user, id);
  }

  @Mutation(() => SessionModel)
  startSession(@CurrentUser() user: AuthenticatedUser, @Args() { id }: SessionIdArgs): Promise<SessionModel> {
    return this.service.start(user, id);
  }

  @Mutation(() => SessionModel, { description: "Freezes the sandbox (every process stops where it is); answers PAUSED. Any exec, file call or preview request resumes it; PAUSED sessions are stopped after the platform's paused timeout." })
  pauseSession(@CurrentUser() user: AuthenticatedUser, @Args() { id }: SessionIdArgs): Promise<SessionModel> {
    return this.service.pause(user, id);
  }

  @Mutation(() => SessionModel, { description: 'Thaws a paused sandbox; answers ACTIVE.' })
  resumeSession(@CurrentUser() user: AuthenticatedUser, @Args() { id }: SessionIdArgs): Promise<SessionModel> {
    return this.service.resume(user, id);
  }

  /** The parent is one of the caller's sessions (every query returning Session checked it). */
  @ResolveField(() => SessionUsageModel, { nullable: true, description: 'What the sandbox consumes now; null while the container-manager has no sandbox for it (PENDING).' })
  usage(@Parent() session: SessionModel): Promise<SessionUsageModel | null> {
    return this.service.usageOf(session.id);
  }

  @Mutation(() => Boolean)
  deleteSession(@CurrentUser() user: AuthenticatedUser, @Args() { id }: SessionIdArgs): Promise<boolean> {
    return this.service.delete(user, id);
  }

  @Mutation(() => ExecResultModel)
  exec(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, input }: ExecArgs): Promise<ExecResultModel> {
    return this.service.exec(user, sessionId, input);
  }

  @Query(() => String)
  readFile(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, path, encoding }: ReadFileArgs): Promise<string> {
    return this.service.readFile(user, sessionId, path, encoding);
  }

  @Mutation(() => Boolean)
  writeFile(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, path, content, encoding }: WriteFileArgs): Promise<boolean> {
    return this.service.writeFile(user, sessionId, path, content, encoding);
  }

  @Query(() => [FileEntryModel])
  async listFiles(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, path }: ListFilesArgs): Promise<FileEntryModel[]> {
    return (await this.service.listFiles(user, sessionId, path)).map((entry) => ({ ...entry, type: entry.type as FileType }));
  }

  @Mutation(() => FileEntryModel)
  async makeDirectory(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, path }: FilePathArgs): Promise<FileEntryModel> {
    const entry = await this.service.makeDirectory(user, sessionId, path);
    return { ...entry, type: entry.type as FileType };
  }

  @Mutation(() => FileEntryModel)
  async moveFile(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, from, to }: MoveFileArgs): Promise<FileEntryModel> {
    const entry = await this.service.moveFile(user, sessionId, from, to);
    return { ...entry, type: entry.type as FileType };
  }

  @Mutation(() => Boolean)
  deleteFile(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, path }: FilePathArgs): Promise<boolean> {
    return this.service.deleteFile(user, sessionId, path);
  }

  @Query(() => [GitCheckpointModel])
  checkpoints(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, limit, offset }: CheckpointsArgs): Promise<GitCheckpointModel[]> {
    return this.service.checkpoints(user, sessionId, limit, offset);
  }

  @Mutation(() => GitCheckpointModel, { nullable: true, description: 'Null when nothing changed since the last checkpoint.' })
  commitCheckpoint(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, description, messageNumber }: CommitCheckpointArgs): Promise<GitCheckpointModel | null> {
    return this.service.commit(user, sessionId, description, messageNumber);
  }

  @Mutation(() => PreviewModel)
  registerPreview(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, port }: RegisterPreviewArgs): Promise<PreviewModel> {
    return this.service.registerPreview(user, sessionId, port);
  }

  @Query(() => [PreviewModel])
  previews(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId }: SessionScopedArgs): Promise<PreviewModel[]> {
    return this.service.previews(user, sessionId);
  }

  /** A snapshot of the session's status first, then its status changes, new checkpoints and its deletion. */
  @Subscription(() => SessionEventModel)
  async sessionEvents(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId }: SessionScopedArgs): Promise<AsyncIterableIterator<{ sessionEvents: SessionEventModel }>> {
    await this.service.get(user, sessionId);
    return this.events.subscribe(sessionId, async () => {
      const session = await this.service.get(user, sessionId);
      return { type: SessionEventType.SNAPSHOT, sessionId, status: session.status, errorReason: session.errorReason, at: new Date() };
    });
  }
}
