import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { RestoreCheckpointArgs, SessionScopedArgs } from './dto/graphql.inputs';
import { GitDiffArgs, PreviewPortArgs, SetPreviewPrivateArgs } from './dto/workspace.inputs';
import { GitCheckpointModel } from './models/git-checkpoint.model';
import { GitDiffModel, GitStatusModel, PreviewVisibilityModel } from './models/workspace.model';
import { SessionWorkspaceService } from './session-workspace.service';

/** Git status, diffs and restores by (short) hash, preview unregistration and privacy of the caller's sessions (docs/api.md, api-gateway: checkpoints and previews). */
@Resolver()
@Authenticated()
export class SessionWorkspaceResolver {
  constructor(private readonly service: SessionWorkspaceService) {}

  @Query(() => GitStatusModel, { description: 'The workspace against its last checkpoint.' })
  gitStatus(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId }: SessionScopedArgs): Promise<GitStatusModel> {
    return this.service.gitStatus(user, sessionId);
  }

  @Query(() => GitDiffModel, { description: 'Unified diff from a checkpoint to another, or to the workspace as it is now (to omitted). Short hashes accepted.' })
  gitDiff(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, from, to }: GitDiffArgs): Promise<GitDiffModel> {
    return this.service.gitDiff(user, sessionId, from, to);
  }

  @Mutation(() => GitCheckpointModel, { description: 'The workspace becomes exactly that checkpoint’s tree, recorded as a new checkpoint. Short hashes accepted.' })
  restoreCheckpoint(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, commitHash }: RestoreCheckpointArgs): Promise<GitCheckpointModel> {
    return this.service.restoreCheckpoint(user, sessionId, commitHash);
  }

  @Mutation(() => Boolean)
  unregisterPreview(@CurrentUser() user: AuthenticatedUser, @Args() { sessionId, port }: PreviewPortArgs): Promise<boolean> {
    return this.service.unregisterPreview(user, sessionId, port);
  }

  @Mutation(() => PreviewVisibilityModel, { description: 'private: true returns a new token (once; earlier tokens stop working); false makes the port public again.' })
  setPreviewPrivate(@CurrentUser() user: AuthenticatedUser, @Args() args: SetPreviewPrivateArgs): Promise<PreviewVisibilityModel> {
    return this.service.setPreviewPrivate(user, args.sessionId, args.port, args.private);
  }
}
