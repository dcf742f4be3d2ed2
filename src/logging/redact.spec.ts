import { REDACTED, scrub, scrubLine, scrubString, scrubUrl } from './redact';

describe('redact', () => {
  it('replaces every sensitive key at any depth, case-insensitively, without touching the input', () => {
    const input = {
      user: { profile: { settings: { Password: 'p1', theme: 'dark' } } },
      list: [[{ refresh_token: 'r1' }], { 'Set-Cookie': ['c1'] }],
      access_token: { nested: 'a1' },
      keep: 'visible',
    };
    const copy = JSON.parse(JSON.stringify(input)) as typeof input;
    expect(scrub(input)).toEqual({
      user: { profile: { settings: { Password: REDACTED, theme: 'dark' } } },
      list: [[{ refresh_token: REDACTED }], { 'Set-Cookie': REDACTED }],
      access_token: REDACTED,
      keep: 'visible',
    });
    expect(input).toEqual(copy);
  });

  it('stops at a depth limit instead of recursing forever on a cycle', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(JSON.stringify(scrub(cyclic))).toContain('[Too deep]');
  });

  it('masks tokens inside strings and sensitive query parameters in URLs', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';
    expect(scrub(`got Bearer ${jwt} and ${jwt}`)).toBe(
      `got Bearer ${REDACTED} and ${REDACTED}`,
    );
    expect(scrubUrl('/cb?code=1&token=abc&Access_Token=def&x=2')).toBe(
      `/cb?code=1&token=${REDACTED}&Access_Token=${REDACTED}&x=2`,
    );
    expect(scrubUrl('/plain/path')).toBe('/plain/path');
    expect(scrubUrl('/bad?%E0%A4%A=1')).toBe('/bad?%E0%A4%A=1');
  });

  it('scrubs sensitive fields that reach a serialized line, escaped quotes included', () => {
    const line = JSON.stringify({
      msg: 'x',
      password: 'has "quotes" inside',
      nested: { new_password: 'n' },
    });
    const cleaned = scrubLine(line);
    expect(JSON.parse(cleaned)).toEqual({
      msg: 'x',
      password: REDACTED,
      nested: { new_password: REDACTED },
    });
  });

  it("masks drizzle's query parameters in a message, raw or already serialized", () => {
    const message =
      'Failed query: update "users" set "password_hash" = $1 where "email" = $2\nparams: $argon2id$v=19$x,alice@example.com';
    const raw = scrubString(`purge failed: ${message}`);
    expect(raw).toBe(
      `purge failed: Failed query: update "users" set "password_hash" = $1 where "email" = $2\nparams: ${REDACTED}`,
    );
    const line = scrubLine(JSON.stringify({ msg: message, level: 50 }));
    expect(line).not.toContain('alice@example.com');
    expect(line).not.toContain('$argon2id$');
    expect(JSON.parse(line)).toEqual({
      msg: `Failed query: update "users" set "password_hash" = $1 where "email" = $2\nparams: ${REDACTED}`,
      level: 50,
    });
  });
});
