import { Body, Controller, Delete, Get, Param, PipeTransform, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { SessionIdParam } from '../../common/session-id.pipe';
import { PreviewDto, PreviewListDto, PreviewTokenDto, PublicPreviewDto, RevokedPreviewTokenDto, UnregisteredPreviewDto } from './dto/preview-responses.dto';
import { RegisterPreviewDto } from './dto/register-preview.dto';
import { PreviewsService } from './previews.service';

/** Path ports stay strings until the service, so a bad one gets the message of docs/api.md, Preview errors. */
class PortParamPipe implements PipeTransform<string, unknown> {
  transform(value: string): unknown {
    return /^\d{1,6}$/.test(value) ? Number(value) : value;
  }
}

@ApiTags('previews')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/sessions/:id/previews')
export class PreviewsController {
  constructor(private readonly previews: PreviewsService) {}

  @Post()
  @ApiOperation({ summary: 'Register a port of the session’s sandbox as a preview (container must be running)' })
  register(@SessionIdParam() id: string, @Body() body: RegisterPreviewDto): Promise<PreviewDto> {
    return this.previews.register(id, body.port);
  }

  @Get()
  @ApiOperation({ summary: 'List the session’s preview ports, most recently registered first' })
  list(@SessionIdParam() id: string): PreviewListDto {
    return this.previews.list(id);
  }

  @Delete(':port')
  @ApiOperation({ summary: 'Unregister a preview port' })
  unregister(@SessionIdParam() id: string, @Param('port', PortParamPipe) port: number): UnregisteredPreviewDto {
    return this.previews.unregister(id, port);
  }

  @Post(':port/token')
  @ApiOperation({ summary: 'Make the port private and issue a new access token (earlier tokens stop working)' })
  issueToken(@SessionIdParam() id: string, @Param('port', PortParamPipe) port: number): PreviewTokenDto {
    return this.previews.issueToken(id, port);
  }

  @Delete(':port/private')
  @ApiOperation({ summary: 'Make the port public again; its token stops working' })
  makePublic(@SessionIdParam() id: string, @Param('port', PortParamPipe) port: number): PublicPreviewDto {
    return this.previews.makePublic(id, port);
  }

  @Delete(':port/token')
  @ApiOperation({ summary: 'Revoke the port’s token; the port stays private until a new token is issued' })
  revokeToken(@SessionIdParam() id: string, @Param('port', PortParamPipe) port: number): RevokedPreviewTokenDto {
    return this.previews.revokeToken(id, port);
  }
}
