import { Body, Controller, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { GitCheckpoint, SessionTransitionResponse } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { CheckpointNotificationDto, SessionErrorDto } from './dto/internal.dto';
import { SessionLifecycleService } from './session-lifecycle.service';
import type { CheckpointRecord } from './sessions.repository';

const toContract = (c: CheckpointRecord): GitCheckpoint => ({ ...c, createdAt: c.createdAt.toISOString() });

/** The container-manager's notifications (docs/api.md, api-gateway: internal routes), delivered through its durable outbox. */
@ApiTags('internal')
@ApiSecurity('internal-key')
@ApiForbiddenResponse({ description: 'missing or wrong X-Internal-Service-Key' })
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal')
export class InternalSessionsController {
  constructor(private readonly lifecycle: SessionLifecycleService) {}

  @Post('sessions/:sessionId/start')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'PENDING, STOPPED, PAUSED or ERROR → ACTIVE (changed: false when already ACTIVE)' })
  @ApiNotFoundResponse({ description: 'unknown session' })
  @ApiConflictResponse({ description: 'illegal transition' })
  start(@Param('sessionId', ParseUUIDPipe) sessionId: string): Promise<SessionTransitionResponse> {
    return this.lifecycle.apply(sessionId, 'start');
  }

  @Post('sessions/:sessionId/stop')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'ACTIVE or PAUSED → STOPPED (changed: false when already STOPPED)' })
  @ApiNotFoundResponse({ description: 'unknown session' })
  @ApiConflictResponse({ description: 'illegal transition' })
  stop(@Param('sessionId', ParseUUIDPipe) sessionId: string): Promise<SessionTransitionResponse> {
    return this.lifecycle.apply(sessionId, 'stop');
  }

  @Post('sessions/:sessionId/pause')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'ACTIVE → PAUSED (changed: false when already PAUSED)' })
  @ApiNotFoundResponse({ description: 'unknown session' })
  @ApiConflictResponse({ description: 'illegal transition' })
  pause(@Param('sessionId', ParseUUIDPipe) sessionId: string): Promise<SessionTransitionResponse> {
    return this.lifecycle.apply(sessionId, 'pause');
  }

  @Post('sessions/:sessionId/error')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'any → ERROR with the reason (changed: false when already ERROR)' })
  @ApiNotFoundResponse({ description: 'unknown session' })
  error(@Param('sessionId', ParseUUIDPipe) sessionId: string, @Body() body: SessionErrorDto): Promise<SessionTransitionResponse> {
    return this.lifecycle.apply(sessionId, 'error', body.reason);
  }

  @Post('git-checkpoints')
  @ApiCreatedResponse({ description: 'checkpoint recorded' })
  @ApiOkResponse({ description: 'already recorded (same session and commit)' })
  @ApiBadRequestResponse({ description: 'invalid body' })
  @ApiNotFoundResponse({ description: 'unknown session' })
  async checkpoint(@Body() body: CheckpointNotificationDto, @Res({ passthrough: true }) res: Response): Promise<GitCheckpoint> {
    const { checkpoint, created } = await this.lifecycle.recordCheckpoint(body);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return toContract(checkpoint);
  }
}
