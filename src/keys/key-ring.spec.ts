import { createSecretKey } from 'node:crypto';
import { buildKeyRing, type TimedKey } from './key-ring';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

function key(kid: string, created: number, activates: number): TimedKey {
  const secret = createSecretKey(Buffer.alloc(32));
  return {
    key: { kid, alg: 'ES256', signingKey: secret, verificationKey: secret },
    createdAt: at(created),
    activatesAt: at(activates),
  };
}

describe(buildKeyRing.name, () => {
  const a = key('a', 0, 0);
  const b = key('b', 100, 200);
  const states = (now: number): [string, string][] =>
    buildKeyRing([b, a], at(now), 50).statuses.map((s) => [s.key.kid, s.state]);

  it('keeps the older key active while the next one is published ahead', () => {
    expect(states(150)).toEqual([
      ['a', 'active'],
      ['b', 'pending'],
    ]);
    expect(buildKeyRing([a, b], at(150), 50).changesAt).toBe(at(200).getTime());
  });

  it('switches at activation and retires the older key for the retention period', () => {
    const ring = buildKeyRing([a, b], at(200), 50);
    expect(ring.active?.kid).toBe('b');
    expect(ring.statuses[0]).toMatchObject({
      state: 'retired',
      retiredAt: at(200),
      removesAt: at(250),
    });
    expect(ring.changesAt).toBe(at(250).getTime());
  });

  it('removes the retired key once every token it signed has expired', () => {
    expect(states(249)).toEqual([
      ['a', 'retired'],
      ['b', 'active'],
    ]);
    const ring = buildKeyRing([a, b], at(250), 50);
    expect(ring.statuses.map((s) => s.key.kid)).toEqual(['b']);
    expect(ring.removed.map((k) => k.key.kid)).toEqual(['a']);
    expect(ring.changesAt).toBe(Infinity);
  });

  it('signs with the earliest key when the clock is behind every key', () => {
    const ring = buildKeyRing([b], at(0), 50);
    expect(ring.active?.kid).toBe('b');
  });

  it('has no active key and nothing scheduled without keys', () => {
    expect(buildKeyRing([], at(0), 50)).toEqual({
      statuses: [],
      removed: [],
      active: undefined,
      changesAt: Infinity,
    });
  });

  it('activates a key at its activation instant, not a millisecond earlier', () => {
    const justBefore = new Date(at(200).getTime() - 1);
    expect(buildKeyRing([a, b], justBefore, 50).active?.kid).toBe('a');
    expect(buildKeyRing([a, b], at(200), 50).active?.kid).toBe('b');
  });

  it('publishes each key with its creation and activation instants', () => {
    const ring = buildKeyRing([a, b], at(150), 50);
    expect(ring.statuses).toEqual([
      { key: a.key, state: 'active', publishedAt: at(0), activatesAt: at(0) },
      {
        key: b.key,
        state: 'pending',
        publishedAt: at(100),
        activatesAt: at(200),
      },
    ]);
  });

  it('retires each key when its own successor activates, and removes it a retention period later', () => {
    const c = key('c', 300, 400);
    const ring = buildKeyRing([c, b, a], at(420), 50);
    expect(ring.active?.kid).toBe('c');
    expect(ring.removed.map((k) => k.key.kid)).toEqual(['a']);
    expect(ring.statuses).toEqual([
      {
        key: b.key,
        state: 'retired',
        publishedAt: at(100),
        activatesAt: at(200),
        retiredAt: at(400),
        removesAt: at(450),
      },
      {
        key: c.key,
        state: 'active',
        publishedAt: at(300),
        activatesAt: at(400),
      },
    ]);
    expect(ring.changesAt).toBe(at(450).getTime());
  });

  it('schedules the next change at the earliest of the pending activations and retired removals', () => {
    const c = key('c', 300, 400);
    const d = key('d', 300, 500);
    expect(buildKeyRing([a, c, d], at(0), 50).changesAt).toBe(
      at(400).getTime(),
    );
    const e = key('e', 300, 1000);
    // b retired at 200 and goes at 250; e activates at 1000.
    expect(buildKeyRing([a, b, e], at(210), 50).changesAt).toBe(
      at(250).getTime(),
    );
    expect(
      buildKeyRing([a, b, key('f', 300, 220)], at(210), 50).changesAt,
    ).toBe(at(220).getTime());
  });

  it('orders keys that activate together by creation, then by kid', () => {
    const later = key('a2', 50, 0);
    const twin = key('a1', 50, 0);
    const ring = buildKeyRing([later, a, twin], at(10), 50);
    expect(ring.statuses.map((s) => [s.key.kid, s.state])).toEqual([
      ['a', 'retired'],
      ['a1', 'retired'],
      ['a2', 'active'],
    ]);
    expect(buildKeyRing([twin, later, a], at(10), 50).active?.kid).toBe('a2');
  });

  it('orders keys by activation before creation or kid', () => {
    const early = key('z', 100, 0);
    const late = key('y', 0, 200);
    const ring = buildKeyRing([late, early], at(100), 50);
    expect(ring.statuses.map((s) => [s.key.kid, s.state])).toEqual([
      ['z', 'active'],
      ['y', 'pending'],
    ]);
  });
});
