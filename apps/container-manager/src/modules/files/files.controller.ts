import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorCode, FileEntry, FileList, FileWriteResult } from '@sandbox/contracts';
import { DomainException, InternalServiceKeyGuard } from '@sandbox/shared';
import { MkdirDto, MoveDto, OptionalPathQueryDto, PathQueryDto } from './dto/files.dto';
import { FilesService } from './files.service';

@ApiTags('files')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Get()
  list(@Param('id') id: string, @Query() query: OptionalPathQueryDto): Promise<FileList> {
    return this.files.list(id, query.path ?? '.');
  }

  @Delete()
  @HttpCode(204)
  async remove(@Param('id') id: string, @Query() query: PathQueryDto): Promise<void> {
    await this.files.delete(id, query.path);
  }

  @Get('content')
  @ApiProduces('application/octet-stream')
  async read(@Param('id') id: string, @Query() query: PathQueryDto): Promise<StreamableFile> {
    return new StreamableFile(await this.files.read(id, query.path), { type: 'application/octet-stream' });
  }

  /** Raw body (any content type but JSON/form, which the app's parsers would consume), up to FILE_MAX_BYTES. */
  @Put('content')
  @ApiConsumes('application/octet-stream')
  @ApiOkResponse({ description: '`{ path, size }`' })
  async write(@Param('id') id: string, @Query() query: PathQueryDto, @Req() req: Request): Promise<FileWriteResult> {
    const body = await readRawBody(req, () => this.files.tooLarge(), this.files.maxBytes);
    return this.files.write(id, query.path, body);
  }

  @Get('stat')
  stat(@Param('id') id: string, @Query() query: PathQueryDto): Promise<FileEntry> {
    return this.files.stat(id, query.path);
  }

  @Post('mkdir')
  mkdir(@Param('id') id: string, @Body() body: MkdirDto): Promise<FileEntry> {
    return this.files.mkdir(id, body.path);
  }

  @Post('move')
  @HttpCode(200)
  move(@Param('id') id: string, @Body() body: MoveDto): Promise<FileEntry> {
    return this.files.move(id, body.from, body.to);
  }
}

/** Collects a request body, refusing (413) as soon as it is announced or grows beyond `max`. */
async function readRawBody(req: Request, tooLarge: () => DomainException, max: number): Promise<Buffer> {
  if (req.readableEnded || (req as Request & { _body?: boolean })._body) {
    throw new DomainException(ErrorCode.BadRequest, 'Send file content as a raw body (application/octet-stream)');
  }
  const announced = Number(req.headers['content-length'] ?? NaN);
  if (announced > max) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
