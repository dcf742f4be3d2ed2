import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from 'src/common/clock';
import type { tokensConfig } from 'src/config/tokens.config';
import type { RedisService } from 'src/redis/redis.module';
import { RevocationService } from './revocation.service';
import type {
  RevocationEntry,
  RevocationsRepository,
} from './revocations.repository';

const CHANNEL = 'gatehouse:revocations';
/** Canonical UUIDs, as the database returns them (wire messages with anything else are refused). */
const ID = {
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
const KEEP_SECONDS = ACCESS_TTL + TOLERANCE + 1;

class FakeClock extends Clock {
  ms = Date.parse('2026-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

class FakeRepository {
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

class FakeSubscriber extends EventEmitter {
  subscribeResult: Promise<unknown> = Promise.resolve(1);
  subscribe = jest.fn((_channel: string) => this.subscribeResult);
}

interface Setup {
  service: RevocationService;
  repository: FakeRepository;
  clock: FakeClock;
  subscriber?: FakeSubscriber;
  publish?: jest.Mock;
}

function setup(
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

const flush = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

describe(RevocationService.name, () => {
  let services: RevocationService[] = [];
  const track = (s: Setup): Setup => {
    services.push(s.service);
    return s;
  };

  beforeEach(() => {
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  });

  afterEach(() => {
    services.forEach((s) => s.onModuleDestroy());
    services = [];
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('refuses every token of a revoked session and nothing else', async () => {
    const { service, repository, clock } = setup();
    expect(service.isRevoked(ID.s1, ID.u1, 0)).toBe(false);

    await service.revokeSessions([ID.s1, ID.s2]);

    expect(service.isRevoked(ID.s1, ID.u1, 0)).toBe(true);
    expect(service.isRevoked(ID.s2, ID.u1, 7)).toBe(true);
    expect(service.isRevoked(ID.s3, ID.u1, 0)).toBe(false);
    expect(repository.rows.get(`session:${ID.s1}`)).toEqual({
      kind: 'session',
      subjectId: ID.s1,
      notBefore: clock.now(),
      keepUntil: new Date(clock.ms + KEEP_SECONDS * 1000),
    });
  });

  it('voids a user’s tokens signed below the cut-off version but not those at or above it', async () => {
    const { service } = setup();
    await service.revokeUserTokens(ID.u1, 3);

    expect(service.isRevoked(ID.s1, ID.u1, 2)).toBe(true);
    expect(service.isRevoked(ID.s1, ID.u1, 3)).toBe(false);
    expect(service.isRevoked(ID.s1, ID.u1, 4)).toBe(false);
    expect(service.isRevoked(ID.s1, ID.u2, 2)).toBe(false);
  });

  it('keeps the highest cut-off version when an older revocation arrives late', async () => {
    const { service } = setup();
    await service.revokeUserTokens(ID.u1, 5);
    await service.revokeUserTokens(ID.u1, 2);
    expect(service.isRevoked(ID.s1, ID.u1, 4)).toBe(true);
    expect(service.isRevoked(ID.s1, ID.u1, 5)).toBe(false);
  });

  it('keeps an entry only while a token it voids can still be valid', async () => {
    const { service, clock } = setup();
    await service.revokeSessions([ID.s1]);
    await service.revokeUserTokens(ID.u1, 1);

    clock.advance(KEEP_SECONDS - 1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 1, users: 1 });
    expect(service.isRevoked(ID.s1, ID.u9, 0)).toBe(true);

    clock.advance(1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 0, users: 0 });
    expect(service.isRevoked(ID.s1, ID.u9, 0)).toBe(false);
  });

  it('fails the revocation and keeps nothing in memory alone when the durable write fails', async () => {
    const { service, repository, publish } = setup({ redis: true });
    repository.failWrites = true;
    await expect(service.revokeSessions([ID.s1])).rejects.toThrow(
      'database down',
    );
    await expect(service.revokeUserTokens(ID.u1, 1)).rejects.toThrow(
      'database down',
    );
    expect(service.size).toEqual({ sessions: 0, users: 0 });
    expect(publish).not.toHaveBeenCalled();
  });

  it('loads the live part of the durable set at start', async () => {
    const repository = new FakeRepository();
    const clock = new FakeClock();
    const live = new Date(clock.ms + 60_000);
    const gone = new Date(clock.ms - 1);
    repository.rows.set(`session:${ID.live}`, {
      kind: 'session',
      subjectId: ID.live,
      notBefore: clock.now(),
      keepUntil: live,
    });
    repository.rows.set(`session:${ID.gone}`, {
      kind: 'session',
      subjectId: ID.gone,
      notBefore: clock.now(),
      keepUntil: gone,
    });
    repository.rows.set(`user:${ID.u1}`, {
      kind: 'user',
      subjectId: ID.u1,
      notBefore: clock.now(),
      minTokenVersion: 2,
      keepUntil: live,
    });
    const { service } = track(setup({ repository, clock }));

    await service.onApplicationBootstrap();

    expect(service.isRevoked(ID.live, ID.x, 0)).toBe(true);
    expect(service.isRevoked(ID.gone, ID.x, 0)).toBe(false);
    expect(service.isRevoked(ID.any, ID.u1, 1)).toBe(true);
    expect(service.isRevoked(ID.any, ID.u1, 2)).toBe(false);
  });

  it('publishes revocations and applies those another instance publishes', async () => {
    const sender = track(setup({ redis: true }));
    const receiver = track(setup({ redis: true }));
    await sender.service.onApplicationBootstrap();
    await receiver.service.onApplicationBootstrap();
    expect(receiver.subscriber?.subscribe).toHaveBeenCalledWith(CHANNEL);

    await sender.service.revokeSessions([ID.s1]);
    await sender.service.revokeUserTokens(ID.u1, 4);

    expect(sender.publish).toHaveBeenCalledTimes(2);
    for (const [channel, message] of sender.publish!.mock.calls as [
      string,
      string,
    ][]) {
      expect(channel).toBe(CHANNEL);
      receiver.subscriber!.emit('message', channel, message);
    }
    expect(receiver.service.isRevoked(ID.s1, ID.u2, 0)).toBe(true);
    expect(receiver.service.isRevoked(ID.s9, ID.u1, 3)).toBe(true);
    expect(receiver.service.isRevoked(ID.s9, ID.u1, 4)).toBe(false);
  });

  it('keeps a forged far-future revocation message no longer than one access-token lifetime', async () => {
    const { service, subscriber, clock } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    const forever = clock.ms + 10 * 365 * 86_400_000;
    subscriber!.emit(
      'message',
      CHANNEL,
      JSON.stringify([
        { k: 'session', id: ID.s1, nb: clock.ms, ku: forever },
        { k: 'user', id: ID.u1, nb: clock.ms, ku: forever, v: 2 ** 40 },
      ]),
    );
    expect(service.isRevoked(ID.s1, ID.u2, 0)).toBe(true);
    expect(service.isRevoked(ID.s2, ID.u1, 5)).toBe(true);

    clock.advance(KEEP_SECONDS - 1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 1, users: 1 });
    clock.advance(1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 0, users: 0 });
    expect(service.isRevoked(ID.s1, ID.u2, 0)).toBe(false);
    expect(service.isRevoked(ID.s2, ID.u1, 5)).toBe(false);
  });

  it.each([
    ['not JSON', 'nope'],
    ['not a list', `{"k":"session","id":"${ID.s1}","nb":1,"ku":2}`],
    ['an unknown kind', `[{"k":"token","id":"${ID.s1}","nb":1,"ku":9e15}]`],
    ['a missing id', '[{"k":"session","nb":1,"ku":9e15}]'],
    [
      'an id that is not a UUID',
      '[{"k":"session","id":"s1","nb":1,"ku":9e15}]',
    ],
    [
      'an id in upper case',
      `[{"k":"session","id":"0F8FAD5B-D9CB-469F-A165-70867728950E","nb":1,"ku":9e15}]`,
    ],
    [
      'a non-numeric time',
      `[{"k":"session","id":"${ID.s1}","nb":1,"ku":"later"}]`,
    ],
    [
      'a user cut-off without a version',
      `[{"k":"user","id":"${ID.u1}","nb":1,"ku":9e15}]`,
    ],
    [
      'a negative version',
      `[{"k":"user","id":"${ID.u1}","nb":1,"ku":9e15,"v":-1}]`,
    ],
    [
      'a fractional version',
      `[{"k":"user","id":"${ID.u1}","nb":1,"ku":9e15,"v":1.5}]`,
    ],
    [
      'one bad entry among good ones',
      `[{"k":"session","id":"${ID.s1}","nb":1,"ku":9e15},{"k":"session"}]`,
    ],
  ])('ignores a message that is %s', async (_label, message) => {
    const { service, subscriber } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    expect(() => subscriber!.emit('message', CHANNEL, message)).not.toThrow();
    expect(service.size).toEqual({ sessions: 0, users: 0 });
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      'ignored a malformed revocation message',
    );
  });

  it('does not fail a revocation when publishing to Redis fails', async () => {
    const publish = jest.fn(() => Promise.reject(new Error('connection lost')));
    const { service, repository } = setup({ redis: true, publish });
    await expect(service.revokeSessions([ID.s1])).resolves.toBeUndefined();
    expect(service.isRevoked(ID.s1, ID.u1, 0)).toBe(true);
    expect(repository.rows.has(`session:${ID.s1}`)).toBe(true);
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      expect.stringContaining('connection lost'),
    );
  });

  it('starts without waiting for an unreachable Redis and catches up when it answers', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service, subscriber, repository, clock } = track(
      setup({ redis: true }),
    );
    subscriber!.subscribeResult = new Promise(() => undefined);
    let started = false;
    const boot = service.onApplicationBootstrap().then(() => {
      started = true;
    });
    await jest.advanceTimersByTimeAsync(1_999);
    expect(started).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await boot;
    expect(started).toBe(true);

    // Another instance revoked a session while this one could not hear it.
    repository.rows.set(`session:${ID.missed}`, {
      kind: 'session',
      subjectId: ID.missed,
      notBefore: clock.now(),
      keepUntil: new Date(clock.ms + 60_000),
    });
    expect(service.isRevoked(ID.missed, ID.u1, 0)).toBe(false);
    subscriber!.emit('ready');
    await flush();
    expect(service.isRevoked(ID.missed, ID.u1, 0)).toBe(true);
  });

  it('re-reads the durable set every minute when Redis is configured', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service, repository, clock } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    const reads = repository.findLive.mock.calls.length;
    repository.rows.set(`session:${ID.late}`, {
      kind: 'session',
      subjectId: ID.late,
      notBefore: clock.now(),
      keepUntil: new Date(clock.ms + 600_000),
    });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(repository.findLive.mock.calls.length).toBe(reads + 1);
    expect(service.isRevoked(ID.late, ID.u1, 0)).toBe(true);
  });

  it('purges durable entries in bounded batches until a batch comes back short', async () => {
    const { service, repository } = setup();
    repository.purgeBatches = [2, 2, 1];
    await expect(service.purgeExpired(2)).resolves.toBe(5);
    expect(repository.purgeExpired).toHaveBeenCalledTimes(3);
    for (const call of repository.purgeExpired.mock.calls)
      expect(call[1]).toBe(2);
  });
  it('writes and publishes nothing when there is no session to revoke', async () => {
    const { service, repository, publish } = setup({ redis: true });
    await service.revokeSessions([]);
    expect(repository.upsert).not.toHaveBeenCalled();
    expect(publish).not.toHaveBeenCalled();
  });

  it('records a user cut-off with its version, kept one access-token lifetime', async () => {
    const { service, repository, clock, publish } = setup({ redis: true });
    await service.revokeUserTokens(ID.u1, 3);
    const entry = {
      kind: 'user',
      subjectId: ID.u1,
      notBefore: clock.now(),
      minTokenVersion: 3,
      keepUntil: new Date(clock.ms + KEEP_SECONDS * 1000),
    };
    expect(repository.rows.get(`user:${ID.u1}`)).toEqual(entry);
    expect(publish).toHaveBeenCalledWith(
      CHANNEL,
      JSON.stringify([
        {
          k: 'user',
          id: ID.u1,
          nb: clock.ms,
          ku: clock.ms + KEEP_SECONDS * 1000,
          v: 3,
        },
      ]),
    );
  });

  it('drops an entry that expires sooner than one access-token lifetime at its own expiry', async () => {
    const { service, subscriber, clock } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    subscriber!.emit(
      'message',
      CHANNEL,
      JSON.stringify([
        { k: 'session', id: ID.s1, nb: clock.ms, ku: clock.ms + 60_000 },
        { k: 'user', id: ID.u1, nb: clock.ms, ku: clock.ms + 60_000, v: 2 },
      ]),
    );
    clock.advance(59);
    service.sweep();
    expect(service.isRevoked(ID.s1, ID.u2, 0)).toBe(true);
    expect(service.isRevoked(ID.s2, ID.u1, 1)).toBe(true);
    clock.advance(1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 0, users: 0 });
  });

  it('never shortens a revocation when the same session or user is revoked again with an earlier expiry', async () => {
    const { service, subscriber, clock } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    await service.revokeSessions([ID.s1]);
    await service.revokeUserTokens(ID.u1, 5);
    subscriber!.emit(
      'message',
      CHANNEL,
      JSON.stringify([
        { k: 'session', id: ID.s1, nb: clock.ms, ku: clock.ms + 10_000 },
        { k: 'user', id: ID.u1, nb: clock.ms, ku: clock.ms + 10_000, v: 1 },
      ]),
    );
    clock.advance(KEEP_SECONDS - 1);
    service.sweep();
    expect(service.isRevoked(ID.s1, ID.u2, 0)).toBe(true);
    expect(service.isRevoked(ID.s2, ID.u1, 4)).toBe(true);
    clock.advance(1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 0, users: 0 });
  });

  it('keeps a revocation made again one access-token lifetime from the latest one', async () => {
    const { service, clock } = setup();
    await service.revokeSessions([ID.s1]);
    await service.revokeUserTokens(ID.u1, 2);
    clock.advance(100);
    await service.revokeSessions([ID.s1]);
    await service.revokeUserTokens(ID.u1, 2);
    clock.advance(KEEP_SECONDS - 1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 1, users: 1 });
    clock.advance(1);
    service.sweep();
    expect(service.size).toEqual({ sessions: 0, users: 0 });
  });

  it('tells its listeners of every user cut-off it learns of, and of no session', async () => {
    const repository = new FakeRepository();
    const { service, subscriber, clock } = track(
      setup({ redis: true, repository }),
    );
    const revoked: string[] = [];
    service.onUserRevoked((userId) => revoked.push(userId));
    await service.onApplicationBootstrap();

    await service.revokeSessions([ID.s1]);
    await service.revokeUserTokens(ID.u1, 1);
    subscriber!.emit(
      'message',
      CHANNEL,
      JSON.stringify([
        { k: 'user', id: ID.u2, nb: clock.ms, ku: clock.ms + 60_000, v: 1 },
        { k: 'session', id: ID.s2, nb: clock.ms, ku: clock.ms + 60_000 },
      ]),
    );
    repository.rows.set(`user:${ID.u9}`, {
      kind: 'user',
      subjectId: ID.u9,
      notBefore: clock.now(),
      minTokenVersion: 1,
      keepUntil: new Date(clock.ms + 60_000),
    });
    repository.rows.delete(`user:${ID.u1}`);
    repository.rows.delete(`session:${ID.s1}`);
    await service.reload();

    expect(revoked).toEqual([ID.u1, ID.u2, ID.u9]);
  });

  it('drops expired entries every minute on its own', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service, clock } = track(setup());
    await service.onApplicationBootstrap();
    await service.revokeSessions([ID.s1]);
    await service.revokeUserTokens(ID.u1, 1);
    clock.advance(KEEP_SECONDS);
    expect(service.size).toEqual({ sessions: 1, users: 1 });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(service.size).toEqual({ sessions: 0, users: 0 });
  });

  it('without Redis, holds the whole set itself and does not re-read the table every minute', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service, repository } = track(setup());
    await service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(repository.findLive).toHaveBeenCalledTimes(1);
  });

  it('stops its minute timer on shutdown', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service, repository } = setup({ redis: true });
    await service.onApplicationBootstrap();
    service.onModuleDestroy();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(repository.findLive).toHaveBeenCalledTimes(1);
  });

  it('subscribes without warning and leaves no start-up timer behind when Redis answers', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    // Only the minute's sweep: a pending 2 s give-up timer would hold a shutting-down process.
    expect(jest.getTimerCount()).toBe(1);
    expect(Logger.prototype.warn).not.toHaveBeenCalled();
    expect(Logger.prototype.error).not.toHaveBeenCalled();
  });

  it('logs a refused subscription and serves without it', async () => {
    const { service, subscriber } = track(setup({ redis: true }));
    subscriber!.subscribeResult = Promise.reject(new Error('NOAUTH'));
    await expect(service.onApplicationBootstrap()).resolves.toBeUndefined();
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      'subscribe failed: NOAUTH',
    );
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      expect.stringContaining('not subscribed to revocations'),
    );
  });

  it('warns when Redis has not answered the subscription after 2 s', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { service, subscriber } = track(setup({ redis: true }));
    subscriber!.subscribeResult = new Promise(() => undefined);
    const boot = service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(2_000);
    await boot;
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      expect.stringContaining('not subscribed to revocations'),
    );
  });

  it('keeps enforcing what it knows when re-reading the table fails on reconnect', async () => {
    const { service, subscriber, repository } = track(setup({ redis: true }));
    await service.onApplicationBootstrap();
    await service.revokeSessions([ID.s1]);
    repository.findLive.mockRejectedValueOnce(new Error('database down'));
    subscriber!.emit('ready');
    await flush();
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      'reloading revocations failed: database down',
    );
    expect(service.isRevoked(ID.s1, ID.u1, 0)).toBe(true);
  });

  it('drops expired entries from memory when it purges the table', async () => {
    const { service, clock } = setup();
    await service.revokeSessions([ID.s1]);
    clock.advance(KEEP_SECONDS);
    await service.purgeExpired(100);
    expect(service.size).toEqual({ sessions: 0, users: 0 });
  });
});
