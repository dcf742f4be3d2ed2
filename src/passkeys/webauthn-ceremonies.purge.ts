import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { PasskeysRepository } from './passkeys.repository';

const PURGE = 'webauthn-ceremonies.purge';
const HOUR_MS = 3_600_000;

/** Ceremonies nobody finished are deleted hourly, an hour after they expired (a verify deletes the others). */
@Injectable()
export class WebauthnCeremoniesPurge
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(WebauthnCeremoniesPurge.name);

  constructor(
    private readonly repository: PasskeysRepository,
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    addInterval(this.scheduler, PURGE, HOUR_MS, () => {
      this.purgeExpired().catch((error: Error) =>
        this.logger.error({
          event: 'webauthn_ceremonies_purge_failed',
          err: error,
        }),
      );
    });
  }

  onModuleDestroy(): void {
    deleteInterval(this.scheduler, PURGE);
  }

  purgeExpired(): Promise<number> {
    return this.repository.purgeCeremonies(
      new Date(this.clock.now().getTime() - HOUR_MS),
    );
  }
}
