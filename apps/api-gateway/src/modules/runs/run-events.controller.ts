import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainException } from '@sandbox/shared';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { runNotFound, RunsService } from './runs.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEARTBEAT_MS = 15_000;

/** `afterSeq` from the query or the SSE `Last-Event-ID` header (the header wins: it is the browser's reconnect). */
function cursorOf(lastEventId: string | undefined, afterSeq: string | undefined): number {
  const raw = lastEventId ?? afterSeq;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw DomainException.badRequest('Last-Event-ID and afterSeq must be a non-negative integer (a seq)');
  return Number(raw);
}

/**
 * A run's events as server-sent events (docs/runs.md, Watching): `id:` is the seq, `data:` the event
 * as JSON; past events first, then live ones; the stream ends after COMPLETE or ERROR. A comment
 * every 15 s keeps proxies from closing an idle stream.
 */
@ApiTags('runs')
@ApiSecurity('bearer')
@Controller('api/runs')
@Authenticated()
export class RunEventsController {
  constructor(private readonly runs: RunsService) {}

  @Get(':id/events')
  @ApiOkResponse({ description: 'text/event-stream of RunEvent' })
  @ApiNotFoundResponse({ description: 'Run {id} not found (unknown or another owner\'s)' })
  async events(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('afterSeq') afterSeq: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!UUID.test(id)) throw runNotFound(id);
    const cursor = cursorOf(lastEventId, afterSeq);
    const abort = new AbortController();
    const events = await this.runs.events(user, id, cursor, abort.signal);
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('x-accel-buffering', 'no');
    res.setHeader('connection', 'keep-alive');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const stop = () => abort.abort();
    res.on('close', stop);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    try {
      for await (const event of events) {
        res.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    } finally {
      clearInterval(heartbeat);
      res.off('close', stop);
      res.end();
    }
  }
}
