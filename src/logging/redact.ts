/** Keys whose values never reach a log line, matched case-insensitively at any depth. */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'current_password',
  'new_password',
  'refresh_token',
  'access_token',
  'token',
]);

export const REDACTED = '[Redacted]';

const MAX_DEPTH = 10;

/** Compact JWS (`eyJ…` header) and bearer credentials, wherever they appear inside a string. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const KEY_ALTERNATION = [...SENSITIVE_KEYS]
  .map((key) => key.replace(/[-]/g, '\\-'))
  .join('|');
/**
 * drizzle's DrizzleQueryError message: `Failed query: …\nparams: <every parameter>`. In a raw string the
 * parameters run to its end (a message interpolated into a longer one loses its tail, which is the safe side);
 * in a serialized line, to the end of the JSON string.
 */
const QUERY_PARAMS_PATTERN = /\nparams: [\s\S]*$/;
const SERIALIZED_QUERY_PARAMS_PATTERN = /\\nparams: (?:[^"\\]|\\.)*/g;
/** A sensitive key's string value in already-serialized JSON (the last line of defence, see scrubLine). */
const JSON_FIELD_PATTERN = new RegExp(
  `"(${KEY_ALTERNATION})":"(?:[^"\\\\]|\\\\.)*"`,
  'gi',
);

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function scrubString(value: string): string {
  if (
    !value.includes('eyJ') &&
    !/bearer|basic/i.test(value) &&
    !value.includes('params: ')
  )
    return value;
  return value
    .replace(QUERY_PARAMS_PATTERN, `\nparams: ${REDACTED}`)
    .replace(JWT_PATTERN, REDACTED)
    .replace(BEARER_PATTERN, `$1 ${REDACTED}`);
}

/**
 * A copy of `value` with every sensitive key's value replaced, at any depth, and tokens masked inside strings.
 * Only plain objects and arrays are walked; class instances (requests, errors) are left to their serializers,
 * which scrub what they produce.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Too deep]';
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SENSITIVE_KEYS.has(key.toLowerCase())
      ? REDACTED
      : scrub(item, depth + 1);
  }
  return copy;
}

/** Masks the values of sensitive query parameters (`?token=…`) in a URL or path. */
export function scrubUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return scrubString(url);
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const [name] = pair.split('=', 1);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // A malformed escape is logged as sent; it cannot be a recognised key anyway.
      }
      return SENSITIVE_KEYS.has(decoded.toLowerCase())
        ? `${name}=${REDACTED}`
        : pair;
    })
    .join('&');
  return scrubString(`${url.slice(0, queryStart)}?${query}`);
}

/**
 * Applied to each serialized line just before it is written: catches a sensitive field or a token that reached
 * the output by a path the object scrubbing did not see (a serializer added later, a message string).
 */
export function scrubLine(line: string): string {
  const fields = line.replace(JSON_FIELD_PATTERN, `"$1":"${REDACTED}"`);
  return scrubString(
    fields.includes('params: ')
      ? fields.replace(
          SERIALIZED_QUERY_PARAMS_PATTERN,
          `\\nparams: ${REDACTED}`,
        )
      : fields,
  );
}
