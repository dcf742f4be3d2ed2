import { BoundedMap } from './bounded-map';

describe(BoundedMap.name, () => {
  it('drops the oldest entry once past its capacity', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect(map.size).toBe(2);
    expect(map.get('a')).toBeUndefined();
    expect(map.get('c')).toBe(3);
  });

  it('holds up to its capacity without dropping anything', () => {
    const map = new BoundedMap<string, number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect([...map]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('treats a key set again as the newest', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 10);
    map.set('c', 3);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(10);
  });

  it('forgets a deleted key, which then takes no room', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(1);
    map.set('c', 3);
    expect([...map]).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('keeps exactly the newest keys through any mix of sets and deletes', () => {
    // A deterministic pseudo-random walk (LCG), checked against a plain Map that drops its first key.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const diverged: { capacity: number; i: number }[] = [];
    for (const capacity of [1, 2, 5]) {
      const map = new BoundedMap<number, number>(capacity);
      const model = new Map<number, number>();
      for (let i = 0; i < 2_000; i += 1) {
        const key = random(3 * capacity + 2);
        if (random(4) === 0) {
          map.delete(key);
          model.delete(key);
        } else {
          map.set(key, i);
          model.delete(key);
          model.set(key, i);
          if (model.size > capacity) model.delete(model.keys().next().value!);
        }
        if (JSON.stringify([...map]) !== JSON.stringify([...model]))
          diverged.push({ capacity, i });
      }
    }
    expect(diverged).toEqual([]);
  });
});
