import { Controller, DynamicModule, Get, Inject, Module, Provider, Type } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorFunction, TerminusModule } from '@nestjs/terminus';
import type { HealthResponse } from '@sandbox/contracts';

/** Supplies the checks a service's `/health` runs besides "the process answers". */
export interface HealthChecks {
  checks(): HealthIndicatorFunction[];
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

@ApiTags('health')
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(HEALTH_CHECKS) private readonly indicators: HealthChecks,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOkResponse({ description: '`{ status: "ok", timestamp }` and the state of each dependency' })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down' })
  async check(): Promise<HealthResponse> {
    const result = await this.health.check(this.indicators.checks());
    return { status: result.status, timestamp: new Date().toISOString(), info: result.info, error: result.error, details: result.details };
  }
}

class NoChecks implements HealthChecks {
  checks(): HealthIndicatorFunction[] {
    return [];
  }
}

/** What a service's `/health` checks, and what those checks need. */
export interface HealthModuleOptions {
  checks?: Type<HealthChecks>;
  imports?: DynamicModule['imports'];
  providers?: Provider[];
}

/** `GET /health` on terminus; 503 with the failing dependency when a check fails. */
@Module({})
export class HealthModule {
  static register(options: HealthModuleOptions = {}): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: 0 }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_CHECKS, useClass: options.checks ?? NoChecks }, ...(options.providers ?? [])],
    };
  }
}
