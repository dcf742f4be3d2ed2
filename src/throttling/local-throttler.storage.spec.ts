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

describe(`${LocalThrottlerStorage.name} at the edges of windows, blocks and sweeps`, () => {
  const T0 = 1_700_000_000_000;
  let now: number;
  const at = (ms: number) => {
    now = T0 + ms;
  };

  beforeEach(() => at(0));

  it('opens a new window at the very millisecond the old one ends', async () => {
    const storage = new LocalThrottlerStorage(() => now);
    await storage.increment('k', 60_000, 3, 60_000, 'default');
    at(60_000);
    expect(
      await storage.increment('k', 60_000, 3, 60_000, 'default'),
    ).toMatchObject({ totalHits: 1, timeToExpire: 60 });
  });

  it('does not lengthen a block when a blocked key keeps hitting', async () => {
    const storage = new LocalThrottlerStorage(() => now);
    for (let i = 0; i < 4; i += 1)
      await storage.increment('k', 120_000, 3, 60_000, 'default');
    at(30_000);
    expect(
      await storage.increment('k', 120_000, 3, 60_000, 'default'),
    ).toMatchObject({ totalHits: 5, isBlocked: true, timeToBlockExpire: 30 });
  });

  it('blocks again a key still over the limit when its block ends', async () => {
    const storage = new LocalThrottlerStorage(() => now);
    for (let i = 0; i < 4; i += 1)
      await storage.increment('k', 120_000, 3, 60_000, 'default');
    at(60_000);
    expect(
      await storage.increment('k', 120_000, 3, 60_000, 'default'),
    ).toMatchObject({ totalHits: 5, isBlocked: true, timeToBlockExpire: 60 });
  });

  it('lets a key through at the very millisecond its block ends', async () => {
    const storage = new LocalThrottlerStorage(() => now);
    for (let i = 0; i < 4; i += 1)
      await storage.increment('k', 60_000, 3, 60_000, 'default');
    at(60_000);
    expect(await storage.increment('k', 60_000, 3, 60_000, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('sweeps ended counters once a minute, not on every new key', async () => {
    const storage = new LocalThrottlerStorage(() => now);
    await storage.increment('a', 1_000, 3, 1_000, 'default');
    at(2_000);
    await storage.increment('b', 1_000, 3, 1_000, 'default');
    expect(storage.size).toBe(2);
    at(60_000);
    await storage.increment('c', 60_000, 3, 1_000, 'default');
    // The sweep at the minute drops 'a' and 'b', whose windows ended long ago.
    expect(storage.size).toBe(1);
  });

  it('drops in a sweep a counter whose window or block ends at that very millisecond', async () => {
    const storage = new LocalThrottlerStorage(() => now);
    await storage.increment('window', 60_000, 3, 60_000, 'default');
    for (let i = 0; i < 4; i += 1)
      await storage.increment('block', 1_000, 3, 60_000, 'default');
    at(60_000);
    await storage.increment('new', 60_000, 3, 60_000, 'default');
    expect(storage.size).toBe(1);
  });

  describe('when full', () => {
    let full: number;
    let storage: LocalThrottlerStorage;
    const hit = (key: string, ttl = 500) =>
      storage.increment(key, ttl, 1, 500, 'default');

    beforeEach(() => {
      full = 0;
      storage = new LocalThrottlerStorage(() => now, {
        maxKeys: 3,
        onFull: () => (full += 1),
      });
    });

    it('sweeps early for a new key once counters have ended, at most once a second', async () => {
      for (const key of ['a', 'b', 'c']) await hit(key);
      at(100);
      await hit('d'); // full: an early sweep frees nothing
      expect(full).toBe(1);
      at(600);
      await hit('e'); // a, b and c have ended, but the last early sweep was under a second ago
      expect(full).toBe(2);
      expect(storage.size).toBe(3);
      at(1_100);
      expect(await hit('f')).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(full).toBe(2);
      expect(storage.size).toBe(1);
    });

    it('sweeps early as soon as it holds exactly maxKeys', async () => {
      for (const key of ['a', 'b', 'c']) await hit(key);
      at(1_000);
      await hit('d');
      expect(full).toBe(0);
      expect(storage.size).toBe(1);
    });
  });

  it('counts on the overflow counter without an onFull listener', async () => {
    const storage = new LocalThrottlerStorage(() => now, { maxKeys: 1 });
    await storage.increment('a', 60_000, 3, 60_000, 'default');
    await expect(
      storage.increment('b', 60_000, 3, 60_000, 'default'),
    ).resolves.toMatchObject({ totalHits: 1 });
    expect(storage.size).toBe(1);
  });
});

describe(`${LocalThrottlerStorage.name} between sweeps`, () => {
  it('lets a blocked key through at the very millisecond its block ends', async () => {
    const T0 = 1_700_000_000_000;
    let now = T0 - 1_000;
    const storage = new LocalThrottlerStorage(() => now);
    await storage.increment('x', 1_000, 3, 1_000, 'default');
    now = T0;
    for (let i = 0; i < 4; i += 1)
      await storage.increment('k', 30_000, 3, 60_000, 'default');
    now = T0 + 59_500; // a sweep here keeps 'k', still blocked
    await storage.increment('y', 1_000, 3, 1_000, 'default');
    now = T0 + 60_000;
    expect(await storage.increment('k', 30_000, 3, 60_000, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 30,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });
});

describe(`${LocalThrottlerStorage.name} between sweeps, windows`, () => {
  it('opens a new window for a key at the very millisecond its window ends', async () => {
    const T0 = 1_700_000_000_000;
    let now = T0 - 1_000;
    const storage = new LocalThrottlerStorage(() => now);
    await storage.increment('x', 1_000, 3, 1_000, 'default');
    now = T0;
    await storage.increment('k', 60_000, 3, 60_000, 'default');
    now = T0 + 59_500; // a sweep here keeps 'k', whose window is still open
    await storage.increment('y', 1_000, 3, 1_000, 'default');
    now = T0 + 60_000;
    expect(
      await storage.increment('k', 60_000, 3, 60_000, 'default'),
    ).toMatchObject({ totalHits: 1, timeToExpire: 60, isBlocked: false });
  });
});
