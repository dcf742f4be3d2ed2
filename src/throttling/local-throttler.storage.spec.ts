import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { describeWithRedis } from 'test/helpers/services';
import { LocalThrottlerStorage } from './local-throttler.storage';

const TTL = 60_000;
const BLOCK = 60_000;

describe('LocalThrottlerStorage', () => {
  let now: number;
  let storage: LocalThrottlerStorage;
  const hit = (key = 'ip:1', limit = 3) =>
    storage.increment(key, TTL, limit, BLOCK, 'default');

  beforeEach(() => {
    now = 1_700_000_000_000;
    storage = new LocalThrottlerStorage(() => now);
  });

  it('counts hits in a fixed window opened by the first hit, then starts again', async () => {
    expect(await hit()).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    now += 20_000;
    expect(await hit()).toMatchObject({ totalHits: 2, timeToExpire: 40 });
    now += 40_000;
    expect(await hit()).toMatchObject({ totalHits: 1, timeToExpire: 60 });
  });

  it('blocks the key for the block duration once it goes over the limit', async () => {
    for (let i = 0; i < 3; i += 1)
      expect(await hit()).toMatchObject({ isBlocked: false });
    now += 30_000;
    expect(await hit()).toEqual({
      totalHits: 4,
      timeToExpire: 30,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
    // The window ends before the block does: a new window opens and counts, and the key stays blocked.
    now += 30_500;
    expect(await hit()).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: true,
      timeToBlockExpire: 30,
    });
    now += 30_000;
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
  });

  it('keeps keys and throttler names apart', async () => {
    for (let i = 0; i < 4; i += 1) await hit('ip:1', 3);
    expect(await hit('ip:2', 3)).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    expect(
      await storage.increment('ip:1', TTL, 3, BLOCK, 'other'),
    ).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('holds one counter per key however many hits it takes', async () => {
    for (let i = 0; i < 200_000; i += 1) await hit('ip:1', 1_000_000);
    expect(storage.size).toBe(1);
    expect(await hit('ip:1', 1_000_000)).toMatchObject({
      totalHits: 200_001,
      isBlocked: false,
    });
  });

  it('drops counters whose window and block have ended', async () => {
    for (let i = 0; i < 4; i += 1) await hit('blocked', 3);
    await hit('idle', 3);
    expect(storage.size).toBe(2);
    now += TTL + 1;
    await hit('fresh', 3);
    // 'idle' has expired; 'blocked' went over the limit at the start, so its block ended at the same time.
    expect(storage.size).toBe(1);
  });

  describe('with a cap on its keys', () => {
    let full: number;
    beforeEach(() => {
      full = 0;
      storage = new LocalThrottlerStorage(() => now, {
        maxKeys: 3,
        onFull: () => (full += 1),
      });
    });

    it('counts new keys on one shared counter once it holds maxKeys, and evicts no key still counting', async () => {
      for (const key of ['a', 'b', 'c']) await hit(key, 2);
      // Full: two newcomers share one counter with one key's limit, so the second is already over it.
      expect(await hit('d', 1)).toMatchObject({
        totalHits: 1,
        isBlocked: false,
      });
      expect(await hit('e', 1)).toMatchObject({
        totalHits: 2,
        isBlocked: true,
      });
      expect(full).toBe(2);
      expect(storage.size).toBe(3);
      // Known keys keep their own counts: flooding new keys cannot reset them.
      expect(await hit('a', 2)).toMatchObject({
        totalHits: 2,
        isBlocked: false,
      });
      expect(await hit('a', 2)).toMatchObject({
        totalHits: 3,
        isBlocked: true,
      });
    });

    it('makes room as soon as counters end, without waiting for the regular sweep', async () => {
      for (const key of ['a', 'b', 'c']) await hit(key, 2);
      now += TTL + 1;
      expect(await hit('d', 2)).toMatchObject({ totalHits: 1 });
      expect(full).toBe(0);
      expect(storage.size).toBe(1);
    });
  });
});

describeWithRedis(
  'LocalThrottlerStorage next to the Redis storage',
  2,
  (client) => {
    // Redis keeps real time, so this runs on the wall clock with wide margins around each expiry.
    it('answers every hit exactly like the Redis script, across windows and blocks', async () => {
      const redis = new ThrottlerStorageRedisService(client());
      const local = new LocalThrottlerStorage();
      const key = `spec:${randomBytes(8).toString('hex')}`;
      const ttl = 1_000;
      const block = 2_000;
      const both = async (label: string) => {
        const [fromRedis, fromLocal] = await Promise.all([
          redis.increment(key, ttl, 3, block, 'default'),
          local.increment(key, ttl, 3, block, 'default'),
        ]);
        expect({ label, ...fromLocal }).toEqual({ label, ...fromRedis });
        return fromLocal;
      };
      for (let i = 1; i <= 5; i += 1) await both(`burst ${i}`);
      expect((await both('over the limit')).isBlocked).toBe(true);
      await sleep(1_400); // the window has ended, the block has not
      expect(await both('new window while blocked')).toMatchObject({
        totalHits: 1,
        isBlocked: true,
      });
      await sleep(1_100); // the block has ended; the window opened above has too
      expect(await both('after the block')).toMatchObject({
        totalHits: 1,
        isBlocked: false,
      });
      await both('counting again');
    });
  },
);
