import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import {
  type LocalThrottlerLimits,
  LocalThrottlerStorage,
} from './local-throttler.storage';
import { withTimeout } from 'src/common/timers';

/** A Redis that accepts connections but stops answering must not stall the login form. */
const REDIS_TIMEOUT_MS = 2_000;
/** While the local store stays full, the warning is repeated at most this often. */
const FULL_WARNING_EVERY_MS = 60_000;

/**
 * Rate-limit counters in Redis, shared by every instance, while Redis answers; in this process while it does not.
 * During an outage each instance enforces RATE_LIMIT_MAX on its own, which is looser (N instances allow N times
 * the limit) but keeps the login form up; the switch in both directions is logged.
 * Without a Redis client (REDIS_URL unset) the counters simply live in this process.
 */
export class FailoverThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly local: LocalThrottlerStorage;
  private readonly shared?: ThrottlerStorageRedisService;
  private degraded = false;
  private lastFullWarningAt = -Infinity;

  constructor(client: Redis | undefined, limits: LocalThrottlerLimits) {
    if (client) this.shared = new ThrottlerStorageRedisService(client);
    this.local = new LocalThrottlerStorage(Date.now, {
      maxKeys: limits.maxKeys,
      onFull: () => {
        limits.onFull?.();
        this.warnFull(limits.maxKeys);
      },
    });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.shared) {
      try {
        const record = await withTimeout(
          this.shared.increment(key, ttl, limit, blockDuration, throttlerName),
          REDIS_TIMEOUT_MS,
        );
        if (this.degraded) {
          this.degraded = false;
          this.logger.warn(
            'Redis answers again: rate limits are shared by all instances again',
          );
        }
        return record;
      } catch (error) {
        if (!this.degraded) {
          this.degraded = true;
          this.logger.error(
            `Redis is unavailable (${(error as Error).message}): rate limits are now counted in this process only, ` +
              'so each instance allows RATE_LIMIT_MAX on its own until Redis returns',
          );
        }
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  private warnFull(maxKeys: number): void {
    const now = Date.now();
    if (now - this.lastFullWarningAt < FULL_WARNING_EVERY_MS) return;
    this.lastFullWarningAt = now;
    this.logger.warn(
      `the local rate-limit store holds RATE_LIMIT_LOCAL_MAX_KEYS=${maxKeys} counters: new client addresses share one ` +
        "counter (one client's limit for all of them) until windows end; known addresses keep their own",
    );
  }
}
