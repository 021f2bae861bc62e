import { Body, Controller, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ExecResult, ExecStreamEvent } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { ExecDto } from './dto/exec.dto';
import { ExecService } from './exec.service';

@ApiTags('exec')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/exec')
export class ExecController {
  constructor(private readonly exec: ExecService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: '`{ exitCode, stdout, stderr, timedOut, durationMs, truncated }`' })
  async run(@Param('id') id: string, @Body() body: ExecDto): Promise<ExecResult> {
    return this.exec.run(this.exec.prepare(id, body));
  }

  /** Server-sent events: `stdout`/`stderr` chunks as they come, then one `exit`. Disconnecting kills the command. */
  @Post('stream')
  @ApiProduces('text/event-stream')
  async stream(@Param('id') id: string, @Body() body: ExecDto, @Res() res: Response): Promise<void> {
    const prepared = this.exec.prepare(id, body); // 400/404/409 answered as JSON before the stream starts
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const disconnected = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) disconnected.abort();
    });
    const send = (event: ExecStreamEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    const result = await this.exec.run(prepared, send, disconnected.signal);
    send({ type: 'exit', result });
    res.end();
  }
}
