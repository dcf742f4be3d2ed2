import { randomBytes } from 'node:crypto';
import {
  EMPTY_COUNTERS,
  isIdle,
  type LoginAttemptCounters,
  type LoginAttemptOp,
  type LoginAttemptPolicy,
  step,
} from './login-attempts.policy';
import { RedisLoginAttemptStore } from './login-attempts.redis-store';
import { MemoryLoginAttemptStore } from './login-attempts.store';
import { describeWithRedis } from 'test/helpers/services';

const POLICY: LoginAttemptPolicy = {
  maxFailures: 3,
  windowMs: 60_000,
  lockoutBaseMs: 1_000,
  lockoutMaxMs: 4_000,
  inFlightTtlMs: 30_000,
};

function run(
  ops: [LoginAttemptOp, number][],
  start = EMPTY_COUNTERS,
): { counters: LoginAttemptCounters; granted: boolean[]; retry: number[] } {
  let counters = start;
  const granted: boolean[] = [];
  const retry: number[] = [];
  for (const [op, now] of ops) {
    const result = step(counters, op, now, POLICY);
    counters = result.counters;
    granted.push(result.granted);
    retry.push(result.retryAfterMs);
  }
  return { counters, granted, retry };
}

describe('login attempt policy', () => {
  it('refuses a reservation once failures plus attempts in flight reach the limit', () => {
    const { granted, retry } = run([
      ['reserve', 0],
      ['reserve', 0],
      ['reserve', 0],
      ['reserve', 0],
    ]);
    expect(granted).toEqual([true, true, true, false]);
    expect(retry[3]).toBe(1_000);
  });

  it('locks after maxFailures, then locks again after every further failure for twice as long, capped', () => {
    const fail = (now: number): [LoginAttemptOp, number][] => [
      ['reserve', now],
      ['failure', now],
    ];
    const { counters } = run([...fail(0), ...fail(0), ...fail(0)]);
    expect(counters.lockedUntil).toBe(1_000);
    expect(step(counters, 'reserve', 999, POLICY)).toMatchObject({
      granted: false,
      retryAfterMs: 1,
    });
    const second = run([...fail(1_000)], counters).counters;
    expect(second.lockedUntil).toBe(3_000);
    const third = run([...fail(3_000)], second).counters;
    expect(third.lockedUntil).toBe(7_000);
    const fourth = run([...fail(7_000)], third).counters;
    expect(fourth.lockedUntil).toBe(11_000);
  });

  it('resets on success and forgets failures older than the window', () => {
    const afterSuccess = run([
      ['reserve', 0],
      ['failure', 0],
      ['reserve', 0],
      ['failure', 0],
      ['reserve', 0],
      ['success', 0],
    ]).counters;
    expect(afterSuccess).toMatchObject({ failures: 0, level: 0 });
    const stale = run([
      ['reserve', 0],
      ['failure', 0],
      ['reserve', 0],
      ['failure', 0],
      ['reserve', 60_000],
      ['failure', 60_000],
    ]).counters;
    expect(stale).toMatchObject({ failures: 1, lockedUntil: 0 });
  });

  it('drops the lockout level after a quiet window, and presumes old reservations abandoned', () => {
    const locked = run([
      ['reserve', 0],
      ['failure', 0],
      ['reserve', 0],
      ['failure', 0],
      ['reserve', 0],
      ['failure', 0],
    ]).counters;
    expect(locked.level).toBe(1);
    expect(
      step(locked, 'reserve', 1_000 + POLICY.windowMs, POLICY).counters.level,
    ).toBe(0);
    const stuck = run([
      ['reserve', 0],
      ['reserve', 0],
      ['reserve', 0],
    ]).counters;
    expect(step(stuck, 'reserve', 1, POLICY).granted).toBe(false);
    expect(step(stuck, 'reserve', POLICY.inFlightTtlMs, POLICY).granted).toBe(
      true,
    );
  });

  it('counts reservations in flight for inFlightTtlMs after the latest one, however long that is', () => {
    const longWait = { ...POLICY, inFlightTtlMs: 90_000 };
    let counters = EMPTY_COUNTERS;
    for (const now of [0, 20_000, 40_000])
      counters = step(counters, 'reserve', now, longWait).counters;
    // Past the old fixed 30 s, the three attempts still waiting for their hash keep the account full.
    expect(step(counters, 'reserve', 129_999, longWait).granted).toBe(false);
    expect(step(counters, 'reserve', 130_000, longWait).granted).toBe(true);
  });
});

describe(isIdle.name, () => {
  const NOW = 1_000_000;
  const idle = (counters: Partial<LoginAttemptCounters>): boolean =>
    isIdle({ ...EMPTY_COUNTERS, ...counters }, NOW, POLICY);

  it('lets an entry go once nothing in it can matter to a later attempt', () => {
    expect(idle({})).toBe(true);
  });

  it('keeps failures until their window has passed', () => {
    expect(idle({ failures: 1, windowStart: NOW - POLICY.windowMs + 1 })).toBe(
      false,
    );
    expect(idle({ failures: 1, windowStart: NOW - POLICY.windowMs })).toBe(
      true,
    );
    expect(idle({ failures: 0, windowStart: NOW })).toBe(true);
  });

  it('keeps a lockout level until a quiet window after the lockout ended', () => {
    expect(idle({ level: 1, lockedUntil: NOW - POLICY.windowMs + 1 })).toBe(
      false,
    );
    expect(idle({ level: 1, lockedUntil: NOW - POLICY.windowMs })).toBe(true);
    expect(idle({ level: 0, lockedUntil: NOW - 1 })).toBe(true);
  });

  it('keeps a lock until it ends', () => {
    expect(idle({ lockedUntil: NOW + 1 })).toBe(false);
    expect(idle({ lockedUntil: NOW })).toBe(true);
  });

  it('keeps reservations in flight until they are presumed abandoned', () => {
    expect(idle({ inFlight: 1, inFlightUntil: NOW + 1 })).toBe(false);
    expect(idle({ inFlight: 1, inFlightUntil: NOW })).toBe(true);
    expect(idle({ inFlight: 0, inFlightUntil: NOW + 1 })).toBe(true);
  });
});

describe(step.name, () => {
  it('frees the reservation of a settled attempt by default, so the next one can reserve', () => {
    const { granted } = run([
      ['reserve', 0],
      ['reserve', 0],
      ['reserve', 0],
      ['success', 0],
      ['reserve', 0],
    ]);
    expect(granted).toEqual([true, true, true, true, true]);
  });
});

describeWithRedis('RedisLoginAttemptStore', 2, (client) => {
  it('decides exactly like the in-process store for a long random sequence', async () => {
    const redis = new RedisLoginAttemptStore(client(), POLICY);
    const memory = new MemoryLoginAttemptStore(POLICY);
    const key = `spec:${randomBytes(8).toString('hex')}`;
    const ops: LoginAttemptOp[] = ['reserve', 'failure', 'success', 'release'];
    let now = 1_700_000_000_000;
    for (let i = 0; i < 300; i += 1) {
      const op = ops[randomBytes(1)[0] % (i % 50 < 40 ? 2 : 4)];
      now += randomBytes(1)[0] * 40;
      const release = randomBytes(1)[0] % 2 === 0;
      const [fromRedis, fromMemory] = await Promise.all([
        redis.apply(key, op, now, release),
        memory.apply(key, op, now, release),
      ]);
      expect({ i, op, ...fromRedis }).toEqual({ i, op, ...fromMemory });
    }
  });
});
