import { Body, Controller, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { RunClaim, RunEventBatchResult, RunFinishResult } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { RunClaimDto, RunEventBatchDto, RunFinishDto, RunStateUpdateDto } from './dto/internal-runs.dto';
import { RunsService } from './runs.service';

/** The worker's reports on the runs it executes (docs/runs.md, Internal routes): every write fenced by `attempt`. */
@ApiTags('internal')
@ApiSecurity('internal-key')
@ApiForbiddenResponse({ description: 'missing or wrong X-Internal-Service-Key' })
@ApiNotFoundResponse({ description: 'Run {id} not found' })
@ApiConflictResponse({ description: 'stale attempt, or the run is not RUNNING (finished, cancelled, waiting for input)' })
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/runs')
export class InternalRunsController {
  constructor(private readonly runs: RunsService) {}

  @Post(':id/claim')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'QUEUED or RUNNING → RUNNING under the next attempt; the run to execute' })
  claim(@Param('id', ParseUUIDPipe) id: string, @Body() body: RunClaimDto): Promise<RunClaim> {
    return this.runs.claim(id, body.taskId);
  }

  @Post(':id/events')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'batch stored (or already stored: duplicate true)' })
  events(@Param('id', ParseUUIDPipe) id: string, @Body() body: RunEventBatchDto): Promise<RunEventBatchResult> {
    return this.runs.appendEvents(id, body);
  }

  @Post(':id/state')
  @HttpCode(HttpStatus.OK)
  state(@Param('id', ParseUUIDPipe) id: string, @Body() body: RunStateUpdateDto): Promise<{ saved: true }> {
    return this.runs.saveState(id, body);
  }

  @Post(':id/finish')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'SUCCEEDED / FAILED with its one terminal event, or AWAITING_INPUT with INPUT_REQUIRED' })
  finish(@Param('id', ParseUUIDPipe) id: string, @Body() body: RunFinishDto): Promise<RunFinishResult> {
    return this.runs.finish(id, body);
  }
}
