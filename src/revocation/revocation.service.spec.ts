import { Logger } from '@nestjs/common';
import {
  CHANNEL,
  ID,
  KEEP_SECONDS,
  FakeClock,
  FakeRepository,
  setup,
  type Setup,
} from 'test/helpers/revocation-fakes';
import { RevocationService } from './revocation.service';

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

  it('drops expired entries from memory when it purges the table', async () => {
    const { service, clock } = setup();
    await service.revokeSessions([ID.s1]);
    clock.advance(KEEP_SECONDS);
    await service.purgeExpired(100);
    expect(service.size).toEqual({ sessions: 0, users: 0 });
  });
});
