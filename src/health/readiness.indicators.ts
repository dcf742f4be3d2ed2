import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import {
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { sql } from 'drizzle-orm';
import { DatabaseService } from 'src/database/database.service';
import { RedisService } from 'src/redis/redis.module';
import { withTimeout } from 'src/common/timers';

const CHECK_TIMEOUT_MS = 3_000;
/** Shipped next to the compiled code (nest-cli assets), like the migrations themselves. */
const JOURNAL = join(
  __dirname,
  '..',
  'database',
  'migrations',
  'meta',
  '_journal.json',
);

/** A feature's own readiness (e.g. its external providers), registered by the feature at start. */
export type ReadinessCheck = () => {
  up: boolean;
  details: Record<string, unknown>;
};

/**
 * What "ready" means: the database answers, Redis answers when configured, every migration is applied, and every
 * check a feature registered is up.
 */
@Injectable()
export class ReadinessIndicators {
  private readonly expectedMigrations: number;
  private readonly registered = new Map<string, ReadinessCheck>();

  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly database: DatabaseService,
    private readonly redis: RedisService,
  ) {
    const journal = JSON.parse(readFileSync(JOURNAL, 'utf8')) as {
      entries: unknown[];
    };
    this.expectedMigrations = journal.entries.length;
  }

  /** Adds a check under `name` to /health/ready (features above health register theirs; health imports none). */
  register(name: string, check: ReadinessCheck): void {
    this.registered.set(name, check);
  }

  all(): HealthIndicatorFunction[] {
    const checks = [() => this.pingDatabase(), () => this.migrations()];
    if (this.redis.enabled) checks.push(() => this.redisPing());
    for (const [name, check] of this.registered)
      checks.push(() => Promise.resolve(this.registeredCheck(name, check)));
    return checks;
  }

  private registeredCheck(
    name: string,
    check: ReadinessCheck,
  ): HealthIndicatorResult {
    const indicator = this.indicator.check(name);
    const { up, details } = check();
    return up ? indicator.up(details) : indicator.down(details);
  }

  private async pingDatabase(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('database');
    try {
      await withTimeout(this.database.ping(), CHECK_TIMEOUT_MS);
      return check.up({ driver: this.database.kind });
    } catch {
      return check.down({ driver: this.database.kind, message: 'unreachable' });
    }
  }

  /**
   * Applied = at least as many rows in drizzle's journal table as this build ships. More is fine: a newer
   * instance of a rolling deployment may already have migrated.
   */
  private async migrations(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('migrations');
    const expected = this.expectedMigrations;
    try {
      const result = await withTimeout(
        this.database.db.execute<{ n: number }>(
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        ),
        CHECK_TIMEOUT_MS,
      );
      const applied = Number(result.rows[0]?.n ?? 0);
      return applied >= expected
        ? check.up({ applied, expected })
        : check.down({ applied, expected, message: 'migrations pending' });
    } catch {
      return check.down({ expected, message: 'unreadable' });
    }
  }

  private async redisPing(): Promise<HealthIndicatorResult> {
    const check = this.indicator.check('redis');
    try {
      await withTimeout(this.redis.client!.ping(), CHECK_TIMEOUT_MS);
      return check.up();
    } catch {
      return check.down({ message: 'unreachable' });
    }
  }
}
