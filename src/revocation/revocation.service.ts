import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import type Redis from 'ioredis';
import { Clock } from 'src/common/clock';
import { addInterval, deleteInterval } from 'src/common/timers';
import { tokensConfig } from 'src/config/tokens.config';
import { RedisService } from 'src/redis/redis.module';
import {
  decodeRevocations,
  encodeRevocations,
  REVOCATION_CHANNEL,
} from './revocation-wire';
import {
  RevocationsRepository,
  type RevocationEntry,
} from './revocations.repository';

const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_INTERVAL = 'revocation.sweep';
const SUBSCRIBE_WAIT_MS = 2_000;

/**
 * The in-process revocation set the global guard consults on every request, so that a protected request in
 * steady state never queries the database. It holds ended session ids and per-user "tokens signed before version
 * V are void" cut-offs, each only until every access token it could void has expired (bounded memory).
 * Durable in the `revocations` table (written first, loaded at start) and spread to other instances over Redis
 * pub/sub. Every entry, whatever its source, is kept at most one access-token lifetime from now, so a forged or
 * corrupt entry cannot refuse a user's tokens for longer than that.
 */
@Injectable()
export class RevocationService
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(RevocationService.name);
  /** session id → keep-until (ms) */
  private readonly sessions = new Map<string, number>();
  /** user id → { minTokenVersion, keepUntil (ms) } */
  private readonly users = new Map<
    string,
    { minTokenVersion: number; keepUntil: number }
  >();
  private readonly userListeners: ((userId: string) => void)[] = [];

  constructor(
    private readonly repository: RevocationsRepository,
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @Inject(tokensConfig.KEY)
    private readonly config: ConfigType<typeof tokensConfig>,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const subscriber = this.redis.createSubscriber();
    if (subscriber) await this.subscribe(subscriber);
    // Loaded after subscribing, so a revocation published meanwhile is either in the table or on the channel.
    await this.reload();
    addInterval(this.scheduler, SWEEP_INTERVAL, SWEEP_INTERVAL_MS, () => {
      this.sweep();
      // A publish that failed (Redis hiccup on the sender only) is caught up here, within one interval.
      if (subscriber) this.reloadQuietly();
    });
  }

  onModuleDestroy(): void {
    deleteInterval(this.scheduler, SWEEP_INTERVAL);
  }

  private async subscribe(subscriber: Redis): Promise<void> {
    subscriber.on('message', (_channel: string, message: string) =>
      this.applyWire(message),
    );
    // After a Redis outage, messages sent meanwhile are lost: re-read the durable set on every (re)connect.
    subscriber.on('ready', () => this.reloadQuietly());
    const subscribed = subscriber.subscribe(REVOCATION_CHANNEL).then(
      () => true,
      (error: Error) => {
        this.logger.error(`subscribe failed: ${error.message}`);
        return false;
      },
    );
    // Redis down at start must not keep the instance from serving: wait a little, then go on and let the
    // 'ready' handler catch up once Redis answers.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), SUBSCRIBE_WAIT_MS);
    });
    const ok = await Promise.race([subscribed, gaveUp]);
    clearTimeout(timer);
    if (!ok)
      this.logger.warn(
        'not subscribed to revocations from other instances yet (Redis unreachable); catching up when it answers',
      );
  }

  private reloadQuietly(): void {
    this.reload().catch((error: Error) =>
      this.logger.error(`reloading revocations failed: ${error.message}`),
    );
  }

  /** True when an access token of this session and user, signed with `tokenVersion`, must be refused. */
  isRevoked(sessionId: string, userId: string, tokenVersion: number): boolean {
    if (this.sessions.has(sessionId)) return true;
    const cut = this.users.get(userId);
    return cut !== undefined && tokenVersion < cut.minTokenVersion;
  }

  async revokeSessions(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const now = this.clock.now();
    const keepUntil = this.keepUntil(now);
    await this.record(
      sessionIds.map((subjectId) => ({
        kind: 'session' as const,
        subjectId,
        notBefore: now,
        keepUntil,
      })),
    );
  }

  /**
   * Voids every access token of the user signed with a token version below `minTokenVersion` (role change,
   * disable, delete): the version the database holds after the change.
   */
  async revokeUserTokens(
    userId: string,
    minTokenVersion: number,
  ): Promise<void> {
    const now = this.clock.now();
    await this.record([
      {
        kind: 'user',
        subjectId: userId,
        notBefore: now,
        minTokenVersion,
        keepUntil: this.keepUntil(now),
      },
    ]);
  }

  get size(): { sessions: number; users: number } {
    return { sessions: this.sessions.size, users: this.users.size };
  }

  async reload(): Promise<void> {
    const entries = await this.repository.findLive(this.clock.now());
    entries.forEach((entry) => this.apply(entry));
  }

  private keepUntil(now: Date): Date {
    return new Date(
      now.getTime() +
        (this.config.accessTtlSeconds + this.config.clockToleranceSeconds + 1) *
          1000,
    );
  }

  /**
   * Durable first: when the write fails the caller's request fails, and nothing is kept only in this process's
   * memory (which a restart or another instance would not know of).
   */
  private async record(entries: RevocationEntry[]): Promise<void> {
    await this.repository.upsert(entries);
    entries.forEach((entry) => this.apply(entry));
    if (this.redis.client) {
      await this.redis.client
        .publish(REVOCATION_CHANNEL, encodeRevocations(entries))
        .catch((error: Error) => {
          this.logger.error(
            `could not publish a revocation to other instances (they catch up when Redis returns): ${error.message}`,
          );
        });
    }
  }

  private applyWire(message: string): void {
    const entries = decodeRevocations(message);
    if (!entries) {
      this.logger.warn('ignored a malformed revocation message');
      return;
    }
    entries.forEach((entry) => this.apply(entry));
  }

  /**
   * Called for every user-level revocation this instance learns of (its own, another instance's over Redis, or a
   * reload), so caches of user data can drop what a role change, disable or delete made stale.
   */
  onUserRevoked(listener: (userId: string) => void): void {
    this.userListeners.push(listener);
  }

  private apply(entry: RevocationEntry): void {
    // No token lives longer than this, so no entry needs to: clamps forged or corrupt far-future entries.
    const keepUntil = Math.min(
      entry.keepUntil.getTime(),
      this.keepUntil(this.clock.now()).getTime(),
    );
    if (entry.kind === 'user')
      this.userListeners.forEach((listener) => listener(entry.subjectId));
    if (entry.kind === 'session') {
      this.sessions.set(
        entry.subjectId,
        Math.max(keepUntil, this.sessions.get(entry.subjectId) ?? 0),
      );
      return;
    }
    const previous = this.users.get(entry.subjectId);
    this.users.set(entry.subjectId, {
      minTokenVersion: Math.max(
        entry.minTokenVersion ?? 0,
        previous?.minTokenVersion ?? 0,
      ),
      keepUntil: Math.max(keepUntil, previous?.keepUntil ?? 0),
    });
  }

  /** Deletes durable entries that can no longer void any token, in bounded batches; sweeps memory as well. */
  async purgeExpired(batchSize: number): Promise<number> {
    this.sweep();
    const now = this.clock.now();
    let purged = 0;
    for (let n = batchSize; n === batchSize; purged += n)
      n = await this.repository.purgeExpired(now, batchSize);
    return purged;
  }

  /** Drops entries whose tokens have all expired, so the set stays bounded. */
  sweep(): void {
    const now = this.clock.now().getTime();
    for (const [id, keepUntil] of this.sessions)
      if (keepUntil <= now) this.sessions.delete(id);
    for (const [id, cut] of this.users)
      if (cut.keepUntil <= now) this.users.delete(id);
  }
}
