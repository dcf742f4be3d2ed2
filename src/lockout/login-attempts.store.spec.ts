import {
  EMPTY_COUNTERS,
  type LoginAttemptPolicy,
} from './login-attempts.policy';
import { MemoryLoginAttemptStore } from './login-attempts.store';

const POLICY: LoginAttemptPolicy = {
  maxFailures: 2,
  windowMs: 60_000,
  lockoutBaseMs: 10_000,
  lockoutMaxMs: 40_000,
  inFlightTtlMs: 30_000,
};
const T0 = 1_700_000_000_000;

/** Fails `count` reserved attempts on `key` at `now`. */
async function fail(
  store: MemoryLoginAttemptStore,
  key: string,
  count: number,
  now: number,
): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await store.apply(key, 'reserve', now, true);
    await store.apply(key, 'failure', now, true);
  }
}

describe(MemoryLoginAttemptStore.name, () => {
  let store: MemoryLoginAttemptStore;
  beforeEach(() => {
    store = new MemoryLoginAttemptStore(POLICY);
  });

  it('counts failures per key and locks the key that reached the limit', async () => {
    await fail(store, 'account:a', 1, T0);
    await fail(store, 'account:b', 1, T0);
    expect(store.lockedUntil('account:a')).toBe(0);

    await fail(store, 'account:a', 1, T0);
    expect(store.lockedUntil('account:a')).toBe(T0 + POLICY.lockoutBaseMs);
    expect(store.lockedUntil('account:b')).toBe(0);
    await expect(
      store.apply('account:a', 'reserve', T0 + 1, true),
    ).resolves.toMatchObject({
      granted: false,
      retryAfterMs: POLICY.lockoutBaseMs - 1,
    });
    await expect(
      store.apply('account:b', 'reserve', T0 + 1, true),
    ).resolves.toMatchObject({ granted: true });
  });

  it('knows no lock for a key it never saw', () => {
    expect(store.lockedUntil('account:unknown')).toBe(0);
  });

  it('takes over the counters and lock the shared store returned', async () => {
    const lockedUntil = T0 + 25_000;
    store.mirror(
      'account:a',
      {
        ...EMPTY_COUNTERS,
        failures: 1,
        windowStart: T0,
        level: 1,
        lockedUntil,
      },
      0,
      T0,
    );
    expect(store.lockedUntil('account:a')).toBe(lockedUntil);
    await expect(
      store.apply('account:a', 'reserve', lockedUntil - 1, true),
    ).resolves.toMatchObject({ granted: false, retryAfterMs: 1 });
  });

  it('continues from the mirrored failures when it takes over counting', async () => {
    store.mirror(
      'account:a',
      { ...EMPTY_COUNTERS, failures: 1, windowStart: T0 },
      0,
      T0,
    );
    await fail(store, 'account:a', 1, T0 + 1_000);
    expect(store.lockedUntil('account:a')).toBe(
      T0 + 1_000 + POLICY.lockoutBaseMs,
    );
  });

  it('counts every reservation this process holds in flight, whichever store granted it', async () => {
    store.mirror('account:a', EMPTY_COUNTERS, 1, T0);
    store.mirror('account:a', EMPTY_COUNTERS, 1, T0);
    await expect(
      store.apply('account:a', 'reserve', T0, true),
    ).resolves.toMatchObject({ granted: false });

    store.mirror('account:a', EMPTY_COUNTERS, -1, T0);
    await expect(
      store.apply('account:a', 'reserve', T0, true),
    ).resolves.toMatchObject({ granted: true });
  });

  it('never counts fewer than no reservations in flight', async () => {
    store.mirror('account:a', EMPTY_COUNTERS, -1, T0);
    store.mirror('account:a', EMPTY_COUNTERS, 1, T0);
    store.mirror('account:a', EMPTY_COUNTERS, 1, T0);
    await expect(
      store.apply('account:a', 'reserve', T0, true),
    ).resolves.toMatchObject({ granted: false });
  });

  it('presumes mirrored reservations abandoned one in-flight lifetime after the latest, not after a later settle', async () => {
    store.mirror('account:a', EMPTY_COUNTERS, 1, T0);
    store.mirror('account:a', EMPTY_COUNTERS, 1, T0 + 1_000);
    // A settle of another attempt (or a password reset) mirrors counters without a new reservation.
    store.mirror('account:a', EMPTY_COUNTERS, 0, T0 + 5_000);
    const lapse = T0 + 1_000 + POLICY.inFlightTtlMs;
    await expect(
      store.apply('account:a', 'reserve', lapse - 1, true),
    ).resolves.toMatchObject({ granted: false });
    await expect(
      store.apply('account:a', 'reserve', lapse, true),
    ).resolves.toMatchObject({ granted: true });
  });

  it('drops counters nothing depends on any more and keeps the rest', async () => {
    await fail(store, 'account:idle', 1, T0);
    await fail(store, 'account:locked', 2, T0 + POLICY.windowMs);
    expect(store.size).toBe(2);

    store.sweep(T0 + POLICY.windowMs);
    expect(store.size).toBe(1);
    expect(store.lockedUntil('account:locked')).toBe(
      T0 + POLICY.windowMs + POLICY.lockoutBaseMs,
    );
  });
});
