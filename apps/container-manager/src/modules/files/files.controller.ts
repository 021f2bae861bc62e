import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { FileEntry, FileList, FileWatchEvent, FileWriteResult } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { SessionIdParam } from '../../common/session-id.pipe';
import { readRawBody } from '../../common/raw-body';
import { openSse, SseStream } from '../../common/sse';
import { MkdirDto, MoveDto, OptionalPathQueryDto, PathQueryDto, WatchQueryDto } from './dto/files.dto';
import { FilesService } from './files.service';

@ApiTags('files')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Get()
  list(@SessionIdParam() id: string, @Query() query: OptionalPathQueryDto): Promise<FileList> {
    return this.files.list(id, query.path ?? '.');
  }

  @Delete()
  @HttpCode(204)
  async remove(@SessionIdParam() id: string, @Query() query: PathQueryDto): Promise<void> {
    await this.files.delete(id, query.path);
  }

  @Get('content')
  @ApiProduces('application/octet-stream')
  async read(@SessionIdParam() id: string, @Query() query: PathQueryDto): Promise<StreamableFile> {
    return new StreamableFile(await this.files.read(id, query.path), { type: 'application/octet-stream' });
  }

  /** Raw body (any content type but JSON/form, which the app's parsers would consume), up to FILE_MAX_BYTES. */
  @Put('content')
  @ApiConsumes('application/octet-stream')
  @ApiOkResponse({ description: '`{ path, size }`' })
  async write(@SessionIdParam() id: string, @Query() query: PathQueryDto, @Req() req: Request): Promise<FileWriteResult> {
    const body = await readRawBody(req, () => this.files.tooLarge(), this.files.maxBytes, 'file content');
    return this.files.write(id, query.path, body);
  }

  /** SSE of file events under `path` (default the workspace; `recursive=true` for the whole tree below it). */
  @Get('watch')
  @ApiProduces('text/event-stream')
  async watch(@SessionIdParam() id: string, @Query() query: WatchQueryDto, @Res() res: Response): Promise<void> {
    // Events can arrive before the response is opened: kept until then.
    const out: { sse?: SseStream; early: FileWatchEvent[] } = { early: [] };
    const stream = await this.files.watch(id, query.path ?? '.', query.recursive === 'true', (events) => {
      if (!out.sse) return void out.early.push(...events);
      for (const event of events) out.sse.send(event);
    });
    const sse = openSse(res);
    if (res.destroyed) return stream.stop();
    for (const event of out.early) sse.send(event);
    out.sse = sse;
    void sse.closed.then(() => stream.stop());
    void stream.ended.then(() => sse.end());
  }

  @Get('stat')
  stat(@SessionIdParam() id: string, @Query() query: PathQueryDto): Promise<FileEntry> {
    return this.files.stat(id, query.path);
  }

  @Post('mkdir')
  mkdir(@SessionIdParam() id: string, @Body() body: MkdirDto): Promise<FileEntry> {
    return this.files.mkdir(id, body.path);
  }

  @Post('move')
  @HttpCode(200)
  move(@SessionIdParam() id: string, @Body() body: MoveDto): Promise<FileEntry> {
    return this.files.move(id, body.from, body.to);
  }
}
