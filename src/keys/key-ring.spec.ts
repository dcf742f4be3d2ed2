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
});
