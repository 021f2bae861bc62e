import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ExecResult, ExecStreamEvent } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { SessionIdParam } from '../../common/session-id.pipe';
import { ExecDto } from './dto/exec.dto';
import { ExecService } from './exec.service';

/**
 * Aborts when the caller's connection closes before the answer is complete (a worker killed mid-call,
 * a client that gave up): the exec is then abandoned and its command is killed rather than left to
 * finish unseen, where a retry would run it a second time.
 */
function abandonedBy(res: Response): AbortSignal {
  const abandoned = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abandoned.abort();
  });
  return abandoned.signal;
}

@ApiTags('exec')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/exec')
export class ExecController {
  constructor(private readonly exec: ExecService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: '`{ exitCode, stdout, stderr, timedOut, durationMs, truncated }`. Disconnecting before the answer kills the command.' })
  async run(@SessionIdParam() id: string, @Body() body: ExecDto, @Res({ passthrough: true }) res: Response): Promise<ExecResult> {
    return this.exec.run(this.exec.prepare(id, body), undefined, abandonedBy(res));
  }

  /** Server-sent events: `stdout`/`stderr` chunks as they come, then one `exit`. Disconnecting kills the command. */
  @Post('stream')
  @ApiProduces('text/event-stream')
  async stream(@SessionIdParam() id: string, @Body() body: ExecDto, @Res() res: Response): Promise<void> {
    const prepared = this.exec.prepare(id, body); // 400/404/409 answered as JSON before the stream starts
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const send = (event: ExecStreamEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    const result = await this.exec.run(prepared, send, abandonedBy(res));
    send({ type: 'exit', result });
    res.end();
  }
}
