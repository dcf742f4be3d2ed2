import { z } from 'zod';
import { parseDurationSeconds } from './duration';

/** The kinds of value an env key holds, each refusing what it cannot read with a message the schema names the key in. */

export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 86400;

/** 86400 → "1d", 300 → "5m", 61 → "61s": a bound written the way the key is written. */
function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds >= size && seconds % size === 0)
      return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/**
 * Seconds within [min, max]. Every duration has an upper bound: a lifetime of 999999999d parses, and then breaks
 * token signing (an `exp` past what a JWT library accepts) or overflows a timer to 1 ms.
 */
function parseBoundedDuration(
  value: string,
  min: number,
  max: number,
  ctx: z.RefinementCtx,
): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds < min || seconds > max) {
    const bounds = `${min ? `at least ${formatDuration(min)}, ` : ''}at most ${formatDuration(max)}`;
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like 900, 900s, 15m, 1h or 7d (${bounds})`,
    });
    return z.NEVER;
  }
  return seconds;
}

export const duration = (fallback: string, min: number, max: number) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => parseBoundedDuration(value, min, max, ctx));

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

export const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** A duration that may be left unset (the feature is then off). */
export const optionalDuration = (min: number, max: number) =>
  optionalString.transform((value, ctx) =>
    value === undefined
      ? undefined
      : parseBoundedDuration(value, min, max, ctx),
  );

export const secretOf = (bytes: number, example: string) =>
  optionalString.refine(
    (v) => v === undefined || Buffer.byteLength(v, 'utf8') >= bytes,
    `must be at least ${bytes} bytes (e.g. \`${example}\`)`,
  );
