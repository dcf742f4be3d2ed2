import { parseDurationSeconds } from './duration';

describe(parseDurationSeconds.name, () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
    ['0', 0],
    [' 15m ', 900],
    ['999999999s', 999_999_999],
  ])('reads %j as %i seconds', (value, seconds) => {
    expect(parseDurationSeconds(value)).toBe(seconds);
  });

  it.each([
    [''],
    ['s'],
    ['15 m'],
    ['15min'],
    ['15 minutes'],
    ['1.5h'],
    ['-5'],
    ['+5'],
    ['1w'],
    ['1e3'],
    ['0x10'],
    ['15M'],
    ['1h30m'],
    ['1234567890'],
  ])('refuses %j', (value) => {
    expect(parseDurationSeconds(value)).toBeUndefined();
  });
});
