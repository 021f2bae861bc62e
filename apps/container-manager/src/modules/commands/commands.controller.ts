import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { type CommandInfo, type CommandList, type CommandOutputEvent, type CommandSignal, ErrorCode, type StartCommandResponse } from '@sandbox/contracts';
import { DomainException, InternalServiceKeyGuard } from '@sandbox/shared';
import { readRawBody } from '../../common/raw-body';
import { SessionIdParam } from '../../common/session-id.pipe';
import { openSse, SseStream } from '../../common/sse';
import { COMMAND_INPUT_MAX_BYTES, CommandsService } from './commands.service';
import { CommandSignalDto, StartCommandDto } from './dto/commands.dto';

@ApiTags('commands')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/commands')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  @Post()
  start(@SessionIdParam() id: string, @Body() body: StartCommandDto): Promise<StartCommandResponse> {
    return this.commands.start(id, body);
  }

  @Get()
  list(@SessionIdParam() id: string): Promise<CommandList> {
    return this.commands.list(id);
  }

  @Get(':cid')
  get(@SessionIdParam() id: string, @Param('cid') commandId: string): Promise<CommandInfo> {
    return this.commands.get(id, commandId);
  }

  /**
   * SSE: the output kept so far (from the start, or from `Last-Event-ID` / `?from=`), then live, as
   * `data: {stream, text | base64}` with `id:` = the offset after it; one `exit` event ends it.
   */
  @Get(':cid/output')
  @ApiProduces('text/event-stream')
  async output(@SessionIdParam() id: string, @Param('cid') commandId: string, @Query('from') fromQuery: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const from = offsetOf(req.headers['last-event-id'] ?? fromQuery);
    const pending = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
    // Output can arrive before the response is opened (right after the agent's answer): kept until then.
    const out: { sse?: SseStream } = {};
    const buffered: ((sse: SseStream) => void)[] = [];
    const emit = (write: (sse: SseStream) => void) => (out.sse ? write(out.sse) : buffered.push(write));
    const { stream, dropped, from: start } = await this.commands.output(id, commandId, from, {
      onOutput: (name, data, offset) =>
        emit((sse) => {
          // Bytes of a UTF-8 character cut between two chunks wait for the rest.
          const joined = Buffer.concat([pending[name], data]);
          const cut = utf8Boundary(joined);
          pending[name] = joined.subarray(cut);
          if (cut > 0) sse.send(outputEvent(name, joined.subarray(0, cut)), { id: offset + data.length - pending[name].length });
        }),
      onExit: (exit) =>
        emit((sse) => {
          for (const name of ['stdout', 'stderr'] as const) if (pending[name].length > 0) sse.send({ stream: name, base64: pending[name].toString('base64') } satisfies CommandOutputEvent);
          sse.send(exit, { event: 'exit' });
          sse.end();
        }),
    });
    const sse = openSse(res);
    if (res.destroyed) return stream.stop(); // the client left while the stream was being set up
    if (dropped) sse.send({ from: start }, { event: 'truncated' });
    out.sse = sse;
    for (const write of buffered) write(sse);
    void sse.closed.then(() => stream.stop());
    void stream.ended.then(() => sse.end());
  }

  /** Raw body to the command's stdin; `?eof=true` closes stdin afterwards. */
  @Post(':cid/input')
  @HttpCode(200)
  @ApiConsumes('application/octet-stream')
  async input(@SessionIdParam() id: string, @Param('cid') commandId: string, @Query('eof') eof: string | undefined, @Req() req: Request): Promise<{ bytes: number }> {
    const body = await readRawBody(req, () => new DomainException(ErrorCode.PayloadTooLarge, `Input is larger than the limit of ${COMMAND_INPUT_MAX_BYTES} bytes`), COMMAND_INPUT_MAX_BYTES, 'input');
    return this.commands.input(id, commandId, body, eof === 'true' || eof === '1');
  }

  /** The signal goes to the command's process group. */
  @Post(':cid/signal')
  @HttpCode(200)
  signal(@SessionIdParam() id: string, @Param('cid') commandId: string, @Body() body: CommandSignalDto): Promise<{ commandId: string; signal: CommandSignal }> {
    return this.commands.signal(id, commandId, body.signal);
  }
}

function offsetOf(raw: string | string[] | undefined): number {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,15}$/.test(value)) throw DomainException.badRequest('from (or Last-Event-ID) must be an output offset');
  return Number(value);
}

function outputEvent(stream: 'stdout' | 'stderr', bytes: Buffer): CommandOutputEvent {
  return isUtf8(bytes) ? { stream, text: bytes.toString('utf8') } : { stream, base64: bytes.toString('base64') };
}

/** Length of `bytes` without a UTF-8 sequence left incomplete at its end. */
function utf8Boundary(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) !== 0x80) {
      if (byte >= 0xf8) return bytes.length; // never a UTF-8 lead byte: nothing to wait for
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return need > back ? bytes.length - back : bytes.length;
    }
  }
  return bytes.length;
}
