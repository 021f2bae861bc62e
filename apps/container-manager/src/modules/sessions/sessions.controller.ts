import { Body, Controller, Delete, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { SandboxSession, SandboxSessionList, SessionUsage } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { SessionIdParam } from '../../common/session-id.pipe';
import { CreateSessionDto } from './dto/create-session.dto';
import { SessionUsageService } from './session-usage.service';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly usage: SessionUsageService,
  ) {}

  @Post()
  @ApiCreatedResponse({ description: 'Session created and running' })
  @ApiOkResponse({ description: 'Session already existed (idempotent on sessionId)' })
  async create(@Body() body: CreateSessionDto, @Res({ passthrough: true }) res: Response): Promise<SandboxSession> {
    const { session, created } = await this.sessions.create(body);
    res.status(created ? 201 : 200);
    return this.sessions.toContract(session);
  }

  @Get()
  list(): SandboxSessionList {
    return { sessions: this.sessions.list().map((session) => this.sessions.toContract(session)) };
  }

  @Get(':id')
  get(@SessionIdParam() id: string): SandboxSession {
    return this.sessions.toContract(this.sessions.get(id));
  }

  @Post(':id/stop')
  @HttpCode(200)
  async stop(@SessionIdParam() id: string): Promise<SandboxSession> {
    return this.sessions.toContract(await this.sessions.stop(id));
  }

  @Post(':id/start')
  @HttpCode(200)
  async start(@SessionIdParam() id: string): Promise<SandboxSession> {
    return this.sessions.toContract(await this.sessions.start(id));
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Paused (every process frozen); already paused: as is. 409 unless running or paused.' })
  async pause(@SessionIdParam() id: string): Promise<SandboxSession> {
    return this.sessions.toContract(await this.sessions.pause(id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Running again; already running: as is. 409 unless paused or running.' })
  async resume(@SessionIdParam() id: string): Promise<SandboxSession> {
    return this.sessions.toContract(await this.sessions.resume(id));
  }

  @Get(':id/usage')
  @ApiOkResponse({ description: 'cpu, memory and network from Docker stats, disk from the session filesystem (cached briefly)' })
  sessionUsage(@SessionIdParam() id: string): Promise<SessionUsage> {
    return this.usage.usage(id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@SessionIdParam() id: string): Promise<void> {
    await this.sessions.delete(id);
  }
}
