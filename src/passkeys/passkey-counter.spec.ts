import { counterAccepted } from './passkey-counter';

describe(counterAccepted.name, () => {
  it.each([
    [0, 0, true, 'an authenticator that does not count'],
    [0, 1, true, 'the first counted use'],
    [41, 42, true, 'one more'],
    [41, 1_000, true, 'a jump forward (uses on other sites)'],
    [42, 42, false, 'the same value again (a replay or a copy)'],
    [42, 41, false, 'going back (a copy)'],
    [42, 0, false, 'a counting credential that reports 0'],
    [2 ** 32 - 2, 2 ** 32 - 1, true, 'near the 32-bit end'],
  ])('%i then %i: %s (%s)', (stored, received, accepted) => {
    expect(counterAccepted(stored, received)).toBe(accepted);
  });
});
