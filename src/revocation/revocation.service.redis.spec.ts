import { Logger } from '@nestjs/common';
import {
  CHANNEL,
  ID,
  KEEP_SECONDS,
  FakeRepository,
  flush,
  setup,
  type Setup,
} from 'test/helpers/revocation-fakes';
import { RevocationService } from './revocation.service';

describe(`${RevocationService.name} across instances (Redis)`, () => {
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
});
