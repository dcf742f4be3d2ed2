import { EventEmitter } from 'node:events';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import type { tokensConfig } from 'src/config/tokens.config';
import type { RedisService } from 'src/redis/redis.module';
import { RevocationService } from 'src/revocation/revocation.service';
import type {
  RevocationEntry,
  RevocationsRepository,
} from 'src/revocation/revocations.repository';

/** Fakes for the RevocationService specs: a settable clock, the table in memory, a Redis subscriber to emit on. */
export const CHANNEL = 'gatehouse:revocations';
/** Canonical UUIDs, as the database returns them (wire messages with anything else are refused). */
export const ID = {
  s1: '00000000-0000-4000-8000-000000000001',
  s2: '00000000-0000-4000-8000-000000000002',
  s3: '00000000-0000-4000-8000-000000000003',
  s9: '00000000-0000-4000-8000-000000000004',
  live: '00000000-0000-4000-8000-000000000005',
  gone: '00000000-0000-4000-8000-000000000006',
  missed: '00000000-0000-4000-8000-000000000007',
  late: '00000000-0000-4000-8000-000000000008',
  any: '00000000-0000-4000-8000-000000000009',
  x: '00000000-0000-4000-8000-000000000010',
  u1: '00000000-0000-4000-8000-000000000011',
  u2: '00000000-0000-4000-8000-000000000012',
  u9: '00000000-0000-4000-8000-000000000013',
};

const ACCESS_TTL = 900;
const TOLERANCE = 5;
/** How long an entry must be kept: the access-token lifetime, the verification tolerance and a second. */
export const KEEP_SECONDS = ACCESS_TTL + TOLERANCE + 1;

export class FakeClock extends Clock {
  ms = Date.parse('2026-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export class FakeRepository {
  readonly rows = new Map<string, RevocationEntry>();
  failWrites = false;
  purgeBatches: number[] = [];

  upsert = jest.fn((entries: RevocationEntry[]): Promise<void> => {
    if (this.failWrites) return Promise.reject(new Error('database down'));
    for (const e of entries) this.rows.set(`${e.kind}:${e.subjectId}`, e);
    return Promise.resolve();
  });

  findLive = jest.fn((now: Date): Promise<RevocationEntry[]> =>
    Promise.resolve([...this.rows.values()].filter((e) => e.keepUntil > now)),
  );

  purgeExpired = jest.fn((_now: Date, _batch: number): Promise<number> =>
    Promise.resolve(this.purgeBatches.shift() ?? 0),
  );
}

export class FakeSubscriber extends EventEmitter {
  subscribeResult: Promise<unknown> = Promise.resolve(1);
  subscribe = jest.fn((_channel: string) => this.subscribeResult);
}

export interface Setup {
  service: RevocationService;
  repository: FakeRepository;
  clock: FakeClock;
  subscriber?: FakeSubscriber;
  publish?: jest.Mock;
}

export function setup(
  options: {
    redis?: boolean;
    publish?: jest.Mock;
    repository?: FakeRepository;
    clock?: FakeClock;
  } = {},
): Setup {
  const repository = options.repository ?? new FakeRepository();
  const clock = options.clock ?? new FakeClock();
  const subscriber = options.redis ? new FakeSubscriber() : undefined;
  const publish = options.redis
    ? (options.publish ?? jest.fn(() => Promise.resolve(1)))
    : undefined;
  const redis = {
    client: publish ? { publish } : undefined,
    createSubscriber: () => subscriber,
  } as unknown as RedisService;
  const config = {
    accessTtlSeconds: ACCESS_TTL,
    clockToleranceSeconds: TOLERANCE,
  } as ConfigType<typeof tokensConfig>;
  const service = new RevocationService(
    repository as unknown as RevocationsRepository,
    redis,
    clock,
    config,
    new SchedulerRegistry(),
  );
  return { service, repository, clock, subscriber, publish };
}

/** Lets pending promise callbacks run. */
export const flush = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));
