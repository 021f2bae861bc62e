import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { RunEvent } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { Authenticated } from '../auth/api-key-auth.guard';
import type { AuthenticatedUser } from '../auth/auth.types';
import { CurrentUser } from '../auth/current-user.decorator';
import { runNotFound, RunsService } from './runs.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEARTBEAT_MS = 15_000;

/** An event's SSE message, built once per event object: the watchers of a live run share the objects their hub read. */
const frames = new WeakMap<RunEvent, string>();
function frameOf(event: RunEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) frames.set(event, (frame = `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`));
  return frame;
}

/** Resolves when the response can take more (or is gone). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

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
 * every 15 s keeps proxies from closing an idle stream. Each batch the stream reads is one write, and
 * the next batch waits until the socket has taken it, so a slow client holds back its own stream (and
 * is detached from the run's shared reader) instead of filling the gateway's memory.
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
    const batches = await this.runs.eventBatches(user, id, cursor, abort.signal);
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
      for await (const batch of batches) {
        let chunk = '';
        for (const event of batch) chunk += frameOf(event);
        if (!res.write(chunk) && !abort.signal.aborted) await drained(res);
      }
    } finally {
      clearInterval(heartbeat);
      res.off('close', stop);
      res.end();
    }
  }
}
