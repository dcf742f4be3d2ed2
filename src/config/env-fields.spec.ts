import { z } from 'zod';
import {
  bool,
  DAY,
  duration,
  HOUR,
  int,
  MINUTE,
  optionalDuration,
  optionalString,
  secretOf,
} from './env-fields';

/** The messages a field gives for `value`, or the parsed value when it accepts it. */
function read(field: z.ZodType, value: string | undefined) {
  const result = field.safeParse(value);
  return result.success
    ? { value: result.data }
    : { messages: result.error.issues.map((issue) => issue.message) };
}

describe('env fields', () => {
  describe('duration', () => {
    const field = duration('15m', 1, DAY);

    it('reads the fallback when the key is unset, and a set value in its unit', () => {
      expect(read(field, undefined)).toEqual({ value: 900 });
      expect(read(field, '2h')).toEqual({ value: 2 * HOUR });
    });

    it('accepts both bounds and refuses one second beyond either', () => {
      const bounded = duration('10s', 10, MINUTE);
      expect(read(bounded, '10s')).toEqual({ value: 10 });
      expect(read(bounded, '60s')).toEqual({ value: 60 });
      expect(read(bounded, '9s')).toEqual({
        messages: [
          'expected a duration like 900, 900s, 15m, 1h or 7d (at least 10s, at most 1m)',
        ],
      });
      expect(read(bounded, '61s').messages).toHaveLength(1);
    });

    it('states no lower bound when 0 is allowed', () => {
      expect(read(duration('5s', 0, 5 * MINUTE), '301')).toEqual({
        messages: [
          'expected a duration like 900, 900s, 15m, 1h or 7d (at most 5m)',
        ],
      });
    });

    it('writes each bound in the largest unit that divides it, else in seconds', () => {
      const message = (min: number, max: number) =>
        read(duration('1', min, max), 'never').messages?.[0];
      expect(message(DAY, 3 * DAY)).toContain('(at least 1d, at most 3d)');
      expect(message(2 * HOUR, 36 * HOUR)).toContain(
        '(at least 2h, at most 36h)',
      );
      expect(message(MINUTE, 90 * MINUTE)).toContain(
        '(at least 1m, at most 90m)',
      );
      expect(message(61, 59 * MINUTE + 1)).toContain(
        '(at least 61s, at most 3541s)',
      );
      expect(message(1, 30)).toContain('(at least 1s, at most 30s)');
    });

    it('refuses a value it cannot read with the same message', () => {
      expect(read(field, 'soon')).toEqual({
        messages: [
          'expected a duration like 900, 900s, 15m, 1h or 7d (at least 1s, at most 1d)',
        ],
      });
    });
  });

  describe('optionalDuration', () => {
    const field = optionalDuration(HOUR, 365 * DAY);

    it('leaves an unset or blank key unset: the feature is off', () => {
      expect(read(field, undefined)).toEqual({ value: undefined });
      expect(read(field, '  ')).toEqual({ value: undefined });
    });

    it('reads a set value within its bounds and refuses one outside them', () => {
      expect(read(field, '1h')).toEqual({ value: HOUR });
      expect(read(field, '365d')).toEqual({ value: 365 * DAY });
      expect(read(field, '59m')).toEqual({
        messages: [
          'expected a duration like 900, 900s, 15m, 1h or 7d (at least 1h, at most 365d)',
        ],
      });
      expect(read(field, '366d').messages).toHaveLength(1);
    });
  });

  describe('bool', () => {
    it.each([
      ['true', true],
      ['1', true],
      ['yes', true],
      ['false', false],
      ['0', false],
      ['no', false],
    ])('reads %s as %s', (value, expected) => {
      expect(read(bool(false), value)).toEqual({ value: expected });
    });

    it('falls back to its default when unset', () => {
      expect(read(bool(true), undefined)).toEqual({ value: true });
      expect(read(bool(false), undefined)).toEqual({ value: false });
    });

    it.each([['on'], ['TRUE'], ['']])('refuses %j', (value) => {
      expect(read(bool(true), value).messages).toHaveLength(1);
    });
  });

  describe('optionalString', () => {
    it('treats an empty or blank value as unset and keeps any other as written', () => {
      expect(read(optionalString, undefined)).toEqual({ value: undefined });
      expect(read(optionalString, '')).toEqual({ value: undefined });
      expect(read(optionalString, ' \t ')).toEqual({ value: undefined });
      expect(read(optionalString, ' x ')).toEqual({ value: ' x ' });
    });
  });

  describe('int', () => {
    const field = int(10, 1, 1000);

    it('reads the fallback when unset and accepts both bounds', () => {
      expect(read(field, undefined)).toEqual({ value: 10 });
      expect(read(field, '1')).toEqual({ value: 1 });
      expect(read(field, '1000')).toEqual({ value: 1000 });
    });

    it.each([['0'], ['1001'], ['2.5'], ['ten']])('refuses %j', (value) => {
      expect(read(field, value).messages).toHaveLength(1);
    });
  });

  describe('secretOf', () => {
    const field = secretOf(32, 'openssl rand -base64 32');

    it('may be unset, and accepts a value of exactly the minimum bytes', () => {
      expect(read(field, undefined)).toEqual({ value: undefined });
      expect(read(field, 'a'.repeat(32))).toEqual({ value: 'a'.repeat(32) });
    });

    it('counts bytes, not characters, and refuses one byte short naming an example', () => {
      expect(read(field, '€'.repeat(11))).toEqual({ value: '€'.repeat(11) });
      expect(read(field, 'a'.repeat(31))).toEqual({
        messages: [
          'must be at least 32 bytes (e.g. `openssl rand -base64 32`)',
        ],
      });
      expect(read(field, '€'.repeat(10)).messages).toHaveLength(1);
    });
  });
});
