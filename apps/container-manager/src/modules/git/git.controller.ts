import { Body, Controller, Get, HttpStatus, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiCreatedResponse, ApiOperation, ApiSecurity, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import type { CheckpointPage, CommitResponse, GitCheckpoint, GitDiff, GitStatus } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { SessionIdParam } from '../../common/session-id.pipe';
import { CheckpointsQueryDto, CommitRequestDto, DiffQueryDto, RestoreRequestDto } from './dto/git-requests.dto';
import { CheckpointPageDto, GitCheckpointDto, GitDiffDto, GitStatusDto, NotCommittedDto } from './dto/git-responses.dto';
import { GitService } from './git.service';

@ApiTags('git')
@ApiSecurity('internal-key')
@ApiExtraModels(GitCheckpointDto, NotCommittedDto)
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/git')
export class GitController {
  constructor(private readonly git: GitService) {}

  @Post('commit')
  @ApiOperation({ summary: 'Checkpoint the whole workspace: 201 with the checkpoint, or 200 { committed: false } when nothing changed and no description was given' })
  @ApiCreatedResponse({ type: GitCheckpointDto })
  @ApiOkResponse({ schema: { $ref: getSchemaPath(NotCommittedDto) } })
  async commit(@SessionIdParam() id: string, @Body() body: CommitRequestDto, @Res({ passthrough: true }) res: Response): Promise<CommitResponse> {
    // A description names the current tree even when nothing changed since the last checkpoint.
    const checkpoint = await this.git.commit(id, body, { label: true });
    if (checkpoint) {
      res.status(HttpStatus.CREATED);
      return checkpoint;
    }
    res.status(HttpStatus.OK);
    return { committed: false };
  }

  @Get('checkpoints')
  @ApiOperation({ summary: 'The session’s checkpoints, newest first' })
  @ApiOkResponse({ type: CheckpointPageDto })
  checkpoints(@SessionIdParam() id: string, @Query() query: CheckpointsQueryDto): CheckpointPage {
    return this.git.listCheckpoints(id, query.limit ?? 20, query.offset ?? 0);
  }

  @Get('status')
  @ApiOperation({ summary: 'Workspace changes since the last checkpoint' })
  @ApiOkResponse({ type: GitStatusDto })
  status(@SessionIdParam() id: string): Promise<GitStatus> {
    return this.git.status(id);
  }

  @Get('diff')
  @ApiOperation({ summary: 'Unified diff between two checkpoints, or from a checkpoint to the current workspace' })
  @ApiOkResponse({ type: GitDiffDto })
  diff(@SessionIdParam() id: string, @Query() query: DiffQueryDto): Promise<GitDiff> {
    return this.git.diff(id, query.from, query.to ?? null);
  }

  @Post('restore')
  @ApiOperation({ summary: 'Make the workspace exactly a checkpoint’s tree; records a new checkpoint (unsaved changes are checkpointed first)' })
  @ApiCreatedResponse({ type: GitCheckpointDto })
  restore(@SessionIdParam() id: string, @Body() body: RestoreRequestDto): Promise<GitCheckpoint> {
    return this.git.restore(id, body.commitHash);
  }
}
