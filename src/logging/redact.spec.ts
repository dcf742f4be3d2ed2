import {
  REDACTED,
  scrub,
  scrubLine,
  scrubString,
  scrubUrl,
  SENSITIVE_KEYS,
} from './redact';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln';

/** `{ a: { a: … { a: leaf } } }` (or `[[…[leaf]]]`), `levels` objects or arrays deep. */
function nested(
  levels: number,
  leaf: unknown,
  wrap = (value: unknown): unknown => ({ a: value }),
): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
}

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

  it.each([...SENSITIVE_KEYS])(
    'never logs the value of %s, as an object key or a serialized field',
    (key) => {
      expect(scrub({ [key]: 'secret-value', other: 1 })).toEqual({
        [key]: REDACTED,
        other: 1,
      });
      const line = scrubLine(JSON.stringify({ [key]: 'secret-value' }));
      expect(line).toBe(JSON.stringify({ [key]: REDACTED }));
    },
  );

  it('redacts every header and field that carries a credential', () => {
    expect([...SENSITIVE_KEYS].sort()).toEqual([
      'access_token',
      'authorization',
      'cookie',
      'current_password',
      'new_password',
      'password',
      'proxy-authorization',
      'refresh_token',
      'set-cookie',
      'token',
    ]);
  });

  it('masks an opaque bearer or basic credential in any case, keeping the scheme', () => {
    expect(scrubString('sent bearer abc.DEF-123_~+/= to the API')).toBe(
      `sent bearer ${REDACTED} to the API`,
    );
    expect(scrubString('Authorization: BASIC dXNlcjpwYXNz')).toBe(
      `Authorization: BASIC ${REDACTED}`,
    );
    expect(scrubString(`token ${JWT}`)).toBe(`token ${REDACTED}`);
  });

  it('leaves a string without a credential as it is', () => {
    const text = 'Bearers of news: eyes on the "params" list';
    expect(scrubString(text)).toBe(text);
    expect(scrub(text)).toBe(text);
  });

  it('keeps null, undefined, numbers and booleans, and walks objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as object, {
      password: 'p',
      n: null,
    });
    expect(
      scrub({ n: null, missing: undefined, count: 3, ok: false, bare }),
    ).toEqual({
      n: null,
      missing: undefined,
      count: 3,
      ok: false,
      bare: { password: REDACTED, n: null },
    });
  });

  it('leaves class instances to their own serializers, untouched', () => {
    class Credentials {
      password = 'p';
    }
    const instance = new Credentials();
    const error = new Error(`failed with ${JWT}`);
    const result = scrub({ instance, error }) as Record<string, unknown>;
    expect(result.instance).toBe(instance);
    expect(result.error).toBe(error);
    expect(instance.password).toBe('p');
  });

  it('walks ten levels of objects or arrays and replaces the eleventh with a marker', () => {
    expect(scrub(nested(10, 7))).toEqual(nested(10, 7));
    expect(scrub(nested(10, { password: 'p' }))).toEqual(
      nested(10, '[Too deep]'),
    );
    expect(scrub(nested(9, { password: 'p' }))).toEqual(
      nested(9, { password: REDACTED }),
    );
    const inArray = (value: unknown): unknown => [value];
    expect(scrub(nested(10, ['x'], inArray))).toEqual(
      nested(10, '[Too deep]', inArray),
    );
  });

  it('masks sensitive query parameters whose names are percent-encoded or start the string', () => {
    expect(scrubUrl('/cb?acc%65ss_token=abc&state=s')).toBe(
      `/cb?acc%65ss_token=${REDACTED}&state=s`,
    );
    expect(scrubUrl('?token=abc')).toBe(`?token=${REDACTED}`);
    expect(scrubUrl('/cb?Password=hunter2&password')).toBe(
      `/cb?Password=${REDACTED}&password=${REDACTED}`,
    );
  });

  it('masks a token in the path of a URL, with or without a query', () => {
    expect(scrubUrl(`/verify/${JWT}`)).toBe(`/verify/${REDACTED}`);
    expect(scrubUrl(`/verify/${JWT}?lang=en`)).toBe(
      `/verify/${REDACTED}?lang=en`,
    );
  });
});
