import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { OnEvent } from '@nestjs/event-emitter';
import {
  DomainEvent,
  type LockoutEvent,
  type PasswordResetEvent,
} from 'src/events/domain-events';
import { RedisService } from 'src/redis/redis.module';
import { loginAttemptsConfig } from 'src/config/login-attempts.config';
import { TooManyLoginAttemptsError } from './login-attempts.errors';
import type { LoginAttemptOp, LoginAttemptStep } from './login-attempts.policy';
import { MemoryLoginAttemptStore } from './login-attempts.store';
import { RedisLoginAttemptStore } from './login-attempts.redis-store';

/** Whose attempts are counted: the account when the login name resolves to one, else the name itself. */
export type LoginSubject = { accountId: string } | { loginName: string };

/** A reserved attempt; exactly one of these is called once the password has been checked. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
  /** The check could not be completed (an error, not a wrong password): frees the slot without counting. */
  abandoned(): Promise<void>;
}

type StoreName = 'shared' | 'local';

const SWEEP_INTERVAL = 'login-attempts.sweep';
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Per-account lockout after repeated failed logins (policy in login-attempts.policy.ts). Counters are shared
 * through Redis when REDIS_URL is set. If Redis stops answering, this fails closed rather than open: the check is
 * never skipped, counting continues in this process from the last counters it saw, and a lockout this process
 * knows of is enforced even after Redis returns without it.
 */
@Injectable()
export class LoginAttemptsService
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(LoginAttemptsService.name);
  private readonly local: MemoryLoginAttemptStore;
  private readonly shared?: RedisLoginAttemptStore;
  private degraded = false;

  constructor(
    redis: RedisService,
    private readonly clock: Clock,
    private readonly events: EventEmitter2,
    @Inject(loginAttemptsConfig.KEY)
    config: ConfigType<typeof loginAttemptsConfig>,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.local = new MemoryLoginAttemptStore(config);
    if (redis.client)
      this.shared = new RedisLoginAttemptStore(redis.client, config);
  }

  onApplicationBootstrap(): void {
    addInterval(this.scheduler, SWEEP_INTERVAL, SWEEP_INTERVAL_MS, () =>
      this.local.sweep(this.clock.now().getTime()),
    );
  }

  onModuleDestroy(): void {
    deleteInterval(this.scheduler, SWEEP_INTERVAL);
  }

  /**
   * Reserves an attempt before the password is verified, or throws TooManyLoginAttemptsError when the account is
   * locked or enough attempts are already counted or in flight to lock it.
   */
  async begin(subject: LoginSubject): Promise<LoginAttempt> {
    const key =
      'accountId' in subject
        ? `account:${subject.accountId}`
        : `name:${subject.loginName.toLowerCase()}`;
    const now = this.clock.now().getTime();
    const knownLock = this.local.lockedUntil(key);
    if (knownLock > now) throw new TooManyLoginAttemptsError(knownLock - now);
    const { step, store } = await this.apply(key, 'reserve');
    if (!step.granted) throw new TooManyLoginAttemptsError(step.retryAfterMs);
    const settle = async (op: LoginAttemptOp): Promise<void> => {
      const settled = await this.apply(key, op, store);
      // A reservation is granted only while unlocked, so a lock after this failure was imposed by it.
      if (
        op === 'failure' &&
        settled.step.counters.lockedUntil > this.clock.now().getTime()
      ) {
        this.events.emit(DomainEvent.Lockout, {
          userId: 'accountId' in subject ? subject.accountId : null,
          until: new Date(settled.step.counters.lockedUntil),
        } satisfies LockoutEvent);
      }
    };
    return {
      succeeded: () => settle('success'),
      failed: () => settle('failure'),
      abandoned: () => settle('release'),
    };
  }

  /**
   * A password reset proves the user reads the account's mail: the failures and any lockout of the account are
   * forgotten (on every instance, through Redis when configured), so the new password works at once.
   */
  @OnEvent(DomainEvent.PasswordReset, { suppressErrors: false })
  async passwordReset(event: PasswordResetEvent): Promise<void> {
    await this.apply(`account:${event.userId}`, 'success');
  }

  /**
   * Redis first when configured, else (or when it fails) this process. `reservedIn` names the store that granted
   * this attempt's reservation: Redis may only release reservations it granted, while the local store counts all
   * of this process's reservations in flight (see MemoryLoginAttemptStore.mirror).
   */
  private async apply(
    key: string,
    op: LoginAttemptOp,
    reservedIn?: StoreName,
  ): Promise<{ step: LoginAttemptStep; store: StoreName }> {
    const now = this.clock.now().getTime();
    if (this.shared) {
      try {
        const step = await this.shared.apply(
          key,
          op,
          now,
          reservedIn === 'shared',
        );
        this.sharedAnswered();
        const inFlightDelta =
          op === 'reserve' ? (step.granted ? 1 : 0) : reservedIn ? -1 : 0;
        this.local.mirror(key, step.counters, inFlightDelta, now);
        return { step, store: 'shared' };
      } catch (error) {
        this.sharedFailed(error as Error);
      }
    }
    const step = await this.local.apply(key, op, now, reservedIn !== undefined);
    return { step, store: 'local' };
  }

  private sharedFailed(error: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.error(
      `Redis is unavailable (${error.message}): failed logins are now counted in this process only, continuing ` +
        'from the last counts it saw; lockouts it knows of stay in force',
    );
  }

  private sharedAnswered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.warn(
      'Redis answers again: failed logins are counted across all instances again',
    );
  }
}
