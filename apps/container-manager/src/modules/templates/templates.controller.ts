import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Template, TemplateList } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { CreateTemplateDto } from './dto/create-template.dto';
import { toTemplate } from './templates.repository';
import { TemplatesService } from './templates.service';

@ApiTags('templates')
@ApiSecurity('internal-key')
@UseGuards(InternalServiceKeyGuard)
@Controller('api/internal/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Get()
  list(): TemplateList {
    return { templates: this.templates.list().map(toTemplate) };
  }

  @Get(':name')
  get(@Param('name') name: string): Template {
    return toTemplate(this.templates.get(name));
  }

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Template recorded as BUILDING; the build runs in the background' })
  create(@Body() body: CreateTemplateDto): Template {
    return toTemplate(this.templates.create(body));
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Param('name') name: string): Promise<void> {
    await this.templates.delete(name);
  }
}
