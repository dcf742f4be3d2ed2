import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { FederationRepository } from './federation.repository';

const PURGE = 'oidc-flows.purge';
const HOUR_MS = 3_600_000;

/** Sign-ins nobody finished and codes nobody exchanged are deleted hourly, an hour after they stopped working. */
@Injectable()
export class OidcFlowsPurge implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OidcFlowsPurge.name);

  constructor(
    private readonly repository: FederationRepository,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    addInterval(this.scheduler, PURGE, HOUR_MS, () => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.error({ event: 'oidc_flows_purge_failed', err: error }),
      );
    });
  }

  onModuleDestroy(): void {
    deleteInterval(this.scheduler, PURGE);
  }

  async purgeExpired(): Promise<number> {
    const purged = await this.repository.purge(
      new Date(this.clock.now().getTime() - HOUR_MS),
    );
    if (purged > 0) this.logger.log({ event: 'oidc_flows_purged', purged });
    return purged;
  }
}
