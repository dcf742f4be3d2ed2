import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { sessionConfig } from 'src/config/session.config';
import { AccessTokenService } from 'src/keys/access-token.service';
import { RevocationService } from 'src/revocation/revocation.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionsRepository } from './sessions.repository';

const PURGE_BATCH = 1_000;
const PURGE_INTERVAL = 'sessions.purge';

/** Keeps the sessions table to what can still matter, every SESSION_PURGE_INTERVAL. */
@Injectable()
export class SessionPurgeService
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(SessionPurgeService.name);

  constructor(
    private readonly repository: SessionsRepository,
    private readonly tokens: RefreshTokensRepository,
    private readonly revocations: RevocationService,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(sessionConfig.KEY)
    private readonly config: ConfigType<typeof sessionConfig>,
  ) {}

  onApplicationBootstrap(): void {
    addInterval(
      this.scheduler,
      PURGE_INTERVAL,
      this.config.purgeIntervalSeconds * 1000,
      () => {
        this.purge().catch((error: Error) =>
          this.logger.error(`session purge failed: ${error.message}`),
        );
      },
    );
  }

  /** Before the database closes, not only at shutdown: a purge must not start on a closed pool. */
  onModuleDestroy(): void {
    deleteInterval(this.scheduler, PURGE_INTERVAL);
  }

  /**
   * Deletes ended sessions in bounded batches once none of their access tokens can still be valid, clears
   * rotation successors older than the grace window and drops revocations that can no longer void a token.
   */
  async purge(): Promise<{
    sessions: number;
    successors: number;
    revocations: number;
  }> {
    const now = this.clock.now();
    const cutoff = new Date(
      now.getTime() - (this.accessTokens.ttlSeconds + 60) * 1000,
    );
    let sessions = 0;
    for (let n = PURGE_BATCH; n === PURGE_BATCH; sessions += n)
      n = await this.repository.purgeEnded(cutoff, PURGE_BATCH);
    let successors = 0;
    const graceCutoff = new Date(
      now.getTime() - (this.config.reuseGraceSeconds + 1) * 1000,
    );
    for (let n = PURGE_BATCH; n === PURGE_BATCH; successors += n)
      n = await this.tokens.clearOldSuccessors(graceCutoff, PURGE_BATCH);
    const revocations = await this.revocations.purgeExpired(PURGE_BATCH);
    return { sessions, successors, revocations };
  }
}
