import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { Public } from 'src/auth/decorators/public.decorator';
import { DatabaseService } from 'src/database/database.service';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: DatabaseService,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    operationId: 'checkHealth',
    summary: 'Readiness: 200 when the database answers, 503 otherwise',
  })
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.pingDatabase()]);
  }

  private async pingDatabase() {
    const check = this.indicator.check('database');
    try {
      await Promise.race([
        this.database.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), 3_000).unref(),
        ),
      ]);
      return check.up({ driver: this.database.kind });
    } catch {
      return check.down({ driver: this.database.kind, message: 'unreachable' });
    }
  }
}
