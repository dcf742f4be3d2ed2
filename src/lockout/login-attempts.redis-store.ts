import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import {
  type LoginAttemptOp,
  type LoginAttemptPolicy,
  type LoginAttemptStep,
} from './login-attempts.policy';
import type { LoginAttemptStore } from './login-attempts.store';
import { withTimeout } from 'src/common/timers';

/** A Redis that accepts connections but stops answering must not stall the login form. */
const REDIS_TIMEOUT_MS = 2_000;

/**
 * `step()` of login-attempts.policy.ts in Lua, so that reading, deciding and writing one account's counters is a
 * single atomic command no matter how many instances race. Times come from the app's clock (ARGV), not Redis's,
 * so both stores agree; the key's own expiry only collects garbage.
 */
const SCRIPT = `
local key = KEYS[1]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local maxFailures = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local base = tonumber(ARGV[5])
local lockMax = tonumber(ARGV[6])
local inFlightTtl = tonumber(ARGV[7])
local gcTtl = tonumber(ARGV[8])
local release = ARGV[9] == '1'
local function n(x) return string.format('%.0f', x) end
local v = redis.call('HMGET', key, 'f', 'w', 'l', 'u', 'i', 'ie')
local f = tonumber(v[1]) or 0
local w = tonumber(v[2]) or 0
local l = tonumber(v[3]) or 0
local u = tonumber(v[4]) or 0
local i = tonumber(v[5]) or 0
local ie = tonumber(v[6]) or 0
if now >= w + window then f = 0 end
if l > 0 and now >= u + window then l = 0 end
if now >= ie then i = 0 end
local threshold = maxFailures
if l > 0 then threshold = 1 end
local function lockout(level)
  return math.min(base * 2 ^ math.min(level, 40), lockMax)
end
local granted = 1
local retryAfter = 0
if op == 'reserve' then
  if u > now then
    granted = 0
    retryAfter = u - now
  elseif f + i >= threshold then
    granted = 0
    retryAfter = lockout(l)
  else
    i = i + 1
    ie = now + inFlightTtl
  end
else
  if release and i > 0 then i = i - 1 end
  if op == 'success' then
    f = 0
    w = 0
    l = 0
    u = 0
  elseif op == 'failure' then
    if f == 0 then w = now end
    f = f + 1
    if f >= threshold then
      u = math.max(u, now + lockout(l))
      l = math.min(l + 1, 40)
      f = 0
    end
  end
end
if granted == 1 then
  redis.call('HSET', key, 'f', n(f), 'w', n(w), 'l', n(l), 'u', n(u), 'i', n(i), 'ie', n(ie))
  redis.call('PEXPIRE', key, gcTtl)
end
return { granted, n(retryAfter), n(f), n(w), n(l), n(u), n(i), n(ie) }
`;

/** Counters shared by every instance through Redis. */
export class RedisLoginAttemptStore implements LoginAttemptStore {
  constructor(
    private readonly client: Redis,
    private readonly policy: LoginAttemptPolicy,
  ) {}

  async apply(
    key: string,
    op: LoginAttemptOp,
    now: number,
    release: boolean,
  ): Promise<LoginAttemptStep> {
    const {
      maxFailures,
      windowMs,
      lockoutBaseMs,
      lockoutMaxMs,
      inFlightTtlMs,
    } = this.policy;
    const reply = (await withTimeout(
      this.client.eval(
        SCRIPT,
        1,
        redisKey(key),
        op,
        now,
        maxFailures,
        windowMs,
        lockoutBaseMs,
        lockoutMaxMs,
        inFlightTtlMs,
        windowMs + lockoutMaxMs + inFlightTtlMs,
        release ? '1' : '0',
      ),
      REDIS_TIMEOUT_MS,
    )) as [number, ...string[]];
    const [granted, retryAfter, f, w, l, u, i, ie] = reply;
    return {
      granted: granted === 1,
      retryAfterMs: Number(retryAfter),
      counters: {
        failures: Number(f),
        windowStart: Number(w),
        level: Number(l),
        lockedUntil: Number(u),
        inFlight: Number(i),
        inFlightUntil: Number(ie),
      },
    };
  }
}

/** Hashed so that login names (personal data, any length) are not stored in Redis as they were typed. */
function redisKey(key: string): string {
  return `gatehouse:login-attempts:${createHash('sha256').update(key).digest('hex')}`;
}
