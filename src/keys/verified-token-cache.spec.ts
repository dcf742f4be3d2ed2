import type { Principal } from 'src/access/principal';
import type { SigningKey } from './signing-key';
import { VerifiedTokenCache } from './verified-token-cache';

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
});
