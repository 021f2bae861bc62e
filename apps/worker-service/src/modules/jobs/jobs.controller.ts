import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Job, JobList } from '@sandbox/contracts';
import { InternalServiceKeyGuard } from '@sandbox/shared';
import { CreateJobDto, ListJobsDto } from './dto/create-job.dto';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiSecurity('internal-key')
@ApiForbiddenResponse({ description: 'missing or wrong X-Internal-Service-Key' })
@UseGuards(InternalServiceKeyGuard)
@Controller('api/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @ApiOkResponse({ description: 'the job, `active`, with its next run' })
  @ApiBadRequestResponse({ description: 'invalid cron or timezone, unknown type, invalid or oversized payload' })
  create(@Body() body: CreateJobDto): Promise<Job> {
    return this.jobs.create(body);
  }

  @Get()
  @ApiOkResponse({ description: '`{ jobs }`, oldest first' })
  list(@Query() query: ListJobsDto): Promise<JobList> {
    return this.jobs.list(query.ownerId);
  }

  @Get(':id')
  @ApiNotFoundResponse({ description: '`Job not found`' })
  get(@Param('id') id: string): Promise<Job> {
    return this.jobs.get(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiNotFoundResponse({ description: '`Job not found`' })
  pause(@Param('id') id: string): Promise<Job> {
    return this.jobs.pause(id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiNotFoundResponse({ description: '`Job not found`' })
  resume(@Param('id') id: string): Promise<Job> {
    return this.jobs.resume(id);
  }

  @Delete(':id')
  @ApiNotFoundResponse({ description: '`Job not found`' })
  delete(@Param('id') id: string): Promise<{ id: string; deleted: true }> {
    return this.jobs.delete(id);
  }
}
