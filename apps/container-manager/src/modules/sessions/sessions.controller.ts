import { Body, Controller, Delete, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { SandboxSession, SandboxSessionList } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { SessionIdParam } from '../../common/session-id.pipe';
import { CreateSessionDto } from './dto/create-session.dto';
import { toSession } from './sessions.repository';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @ApiCreatedResponse({ description: 'Session created and running' })
  @ApiOkResponse({ description: 'Session already existed (idempotent on sessionId)' })
  async create(@Body() body: CreateSessionDto, @Res({ passthrough: true }) res: Response): Promise<SandboxSession> {
    const { session, created } = await this.sessions.create(body);
    res.status(created ? 201 : 200);
    return toSession(session);
  }

  @Get()
  list(): SandboxSessionList {
    return { sessions: this.sessions.list().map(toSession) };
  }

  @Get(':id')
  get(@SessionIdParam() id: string): SandboxSession {
    return toSession(this.sessions.get(id));
  }

  @Post(':id/stop')
  @HttpCode(200)
  async stop(@SessionIdParam() id: string): Promise<SandboxSession> {
    return toSession(await this.sessions.stop(id));
  }

  @Post(':id/start')
  @HttpCode(200)
  async start(@SessionIdParam() id: string): Promise<SandboxSession> {
    return toSession(await this.sessions.start(id));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@SessionIdParam() id: string): Promise<void> {
    await this.sessions.delete(id);
  }
}
