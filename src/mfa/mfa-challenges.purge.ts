import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { MfaRepository } from './mfa.repository';

const PURGE = 'mfa-challenges.purge';
const HOUR_MS = 3_600_000;

/** Login challenges are deleted hourly, an hour after they expired (used ones expire too, within 5 minutes). */
@Injectable()
export class MfaChallengesPurge
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(MfaChallengesPurge.name);

  constructor(
    private readonly repository: MfaRepository,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    addInterval(this.scheduler, PURGE, HOUR_MS, () => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.error({ event: 'mfa_challenges_purge_failed', err: error }),
      );
    });
  }

  onModuleDestroy(): void {
    deleteInterval(this.scheduler, PURGE);
  }

  purgeExpired(): Promise<number> {
    return this.repository.purgeChallenges(
      new Date(this.clock.now().getTime() - HOUR_MS),
    );
  }
}
