import type { Principal } from 'src/access/principal';
import type { SigningKey } from './signing-key';
import {
  VERIFIED_TOKEN_CACHE_ENTRIES,
  VerifiedTokenCache,
} from './verified-token-cache';

const key = { kid: 'k1', alg: 'HS256' } as SigningKey;
const entry = (userId: string): { principal: Principal; key: SigningKey } => ({
  principal: { userId } as Principal,
  key,
});

describe(VerifiedTokenCache.name, () => {
  it('never holds more than its bound, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache(3);
    ['a', 'b', 'c', 'd', 'e'].forEach((token) =>
      cache.set(token, entry(token)),
    );
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('e')?.principal.userId).toBe('e');
  });

  it('replaces an entry in place without evicting another', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', entry('a'));
    cache.set('b', entry('b'));
    cache.set('b', entry('b2'));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('b')?.principal.userId).toBe('b2');
  });

  it('forgets a deleted token', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', entry('a'));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('counts a lookup that finds a token as a hit and one that does not as a miss', () => {
    const cache = new VerifiedTokenCache(2);
    expect(cache.stats()).toEqual({
      hits: 0,
      misses: 0,
      entries: 0,
      maxEntries: 2,
    });
    cache.get('a');
    cache.set('a', entry('a'));
    cache.get('a');
    cache.get('a');
    cache.get('b');
    expect(cache.stats()).toEqual({
      hits: 2,
      misses: 2,
      entries: 1,
      maxEntries: 2,
    });
  });

  it('counts a lookup of an evicted token as a miss and never holds more than its bound', () => {
    const cache = new VerifiedTokenCache(2);
    ['a', 'b', 'c'].forEach((token) => cache.set(token, entry(token)));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats()).toEqual({
      hits: 0,
      misses: 1,
      entries: 2,
      maxEntries: 2,
    });
  });

  it(`holds ${VERIFIED_TOKEN_CACHE_ENTRIES} tokens by default`, () => {
    expect(new VerifiedTokenCache().stats().maxEntries).toBe(
      VERIFIED_TOKEN_CACHE_ENTRIES,
    );
  });
});
