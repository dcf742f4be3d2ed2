const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses `900`, `900s`, `15m`, `1h`, `7d` into whole seconds; returns undefined for anything else.
 * Hand-written rather than `ms` because `ms` also accepts "15 minutes" and fractional forms we do not want to document.
 */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}
