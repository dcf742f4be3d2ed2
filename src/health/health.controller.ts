import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
} from '@nestjs/terminus';
import { Public } from 'src/access/public.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { DomainError } from 'src/common/domain-error';
import { ReadinessIndicators } from './readiness.indicators';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicators,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({
    operationId: 'checkLiveness',
    summary:
      'Liveness: 200 while the process serves requests; checks nothing else',
  })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    operationId: 'checkReadiness',
    summary:
      'Readiness: 200 when the database (and Redis, when configured) answer and every migration is applied; 503 otherwise',
  })
  @ApiProblems(503)
  ready(): Promise<HealthCheckResult> {
    return this.checkReadiness();
  }

  @Get()
  @HealthCheck()
  @ApiOperation({
    operationId: 'checkHealth',
    summary: 'Readiness (alias of /health/ready)',
  })
  @ApiProblems(503)
  check(): Promise<HealthCheckResult> {
    return this.checkReadiness();
  }

  private async checkReadiness(): Promise<HealthCheckResult> {
    try {
      return await this.health.check(this.readiness.all());
    } catch (error) {
      // Terminus throws a bare 503 holding its report; answer a problem that names what is down instead.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const report = error.getResponse() as Partial<HealthCheckResult>;
      const down = Object.keys(report.error ?? {}).join(', ') || 'a dependency';
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        `Not ready: ${down} is unavailable.`,
      );
    }
  }
}
