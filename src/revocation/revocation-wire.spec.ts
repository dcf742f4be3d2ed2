import {
  decodeRevocations,
  encodeRevocations,
  REVOCATION_CHANNEL,
} from './revocation-wire';
import type { RevocationEntry } from './revocations.repository';

const SESSION = '00000000-0000-4000-8000-000000000001';
const USER = '00000000-0000-4000-8000-000000000011';
const NB = Date.parse('2026-01-01T00:00:00Z');
const KU = NB + 906_000;

const sessionEntry: RevocationEntry = {
  kind: 'session',
  subjectId: SESSION,
  notBefore: new Date(NB),
  minTokenVersion: null,
  keepUntil: new Date(KU),
};
const userEntry: RevocationEntry = {
  kind: 'user',
  subjectId: USER,
  notBefore: new Date(NB),
  minTokenVersion: 3,
  keepUntil: new Date(KU),
};

/** A message as another instance would send it. */
function message(...entries: Record<string, unknown>[]): string {
  return JSON.stringify(entries);
}
const wireSession = { k: 'session', id: SESSION, nb: NB, ku: KU };
const wireUser = { k: 'user', id: USER, nb: NB, ku: KU, v: 3 };

describe('revocation wire format', () => {
  it('is published on the gatehouse:revocations channel', () => {
    expect(REVOCATION_CHANNEL).toBe('gatehouse:revocations');
  });

  it('encodes times as epoch milliseconds and a version only for user cut-offs', () => {
    expect(JSON.parse(encodeRevocations([sessionEntry, userEntry]))).toEqual([
      wireSession,
      wireUser,
    ]);
    expect(
      encodeRevocations([{ ...sessionEntry, minTokenVersion: undefined }]),
    ).toBe(message(wireSession));
    expect(encodeRevocations([sessionEntry])).toBe(message(wireSession));
  });

  it('keeps a cut-off at version 0', () => {
    const zero = { ...userEntry, minTokenVersion: 0 };
    expect(encodeRevocations([zero])).toBe(message({ ...wireUser, v: 0 }));
    expect(decodeRevocations(encodeRevocations([zero]))).toEqual([zero]);
  });

  it('decodes what it encodes', () => {
    expect(
      decodeRevocations(encodeRevocations([sessionEntry, userEntry])),
    ).toEqual([sessionEntry, userEntry]);
    expect(decodeRevocations('[]')).toEqual([]);
  });

  it('accepts the largest safe version and refuses one past it', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(decodeRevocations(message({ ...wireUser, v: max }))).toEqual([
      { ...userEntry, minTokenVersion: max },
    ]);
    expect(
      decodeRevocations(message({ ...wireUser, v: max + 1 })),
    ).toBeUndefined();
  });

  it.each([
    ['not JSON', 'nope'],
    ['JSON null', 'null'],
    ['an object instead of a list', JSON.stringify(wireSession)],
    ['a null entry', '[null]'],
    ['a number entry', '[1]'],
    ['a string entry', '["session"]'],
    ['an unknown kind', message({ ...wireSession, k: 'token' })],
    ['a missing kind', message({ ...wireSession, k: undefined })],
    // With a version, so that only the kind is wrong.
    ['an unknown kind with a version', message({ ...wireUser, k: 'token' })],
    ['a numeric id', message({ ...wireSession, id: 1 })],
    ['an id that is not a UUID', message({ ...wireSession, id: 's1' })],
    ['an id in a list', message({ ...wireSession, id: [SESSION] })],
    [
      'an upper-case UUID',
      message({
        ...wireSession,
        id: '0F8FAD5B-D9CB-469F-A165-70867728950E',
      }),
    ],
    ['a UUID with a prefix', message({ ...wireSession, id: `x${SESSION}` })],
    ['a UUID with a suffix', message({ ...wireSession, id: `${SESSION}0` })],
    ['a missing not-before', message({ ...wireSession, nb: undefined })],
    ['a string not-before', message({ ...wireSession, nb: String(NB) })],
    [
      'an infinite not-before',
      `[{"k":"session","id":"${SESSION}","nb":1e400,"ku":${KU}}]`,
    ],
    ['a missing keep-until', message({ ...wireSession, ku: undefined })],
    ['a string keep-until', message({ ...wireSession, ku: 'later' })],
    [
      'an infinite keep-until',
      `[{"k":"session","id":"${SESSION}","nb":${NB},"ku":1e400}]`,
    ],
    [
      'a user cut-off without a version',
      message({ ...wireUser, v: undefined }),
    ],
    ['a user cut-off with a string version', message({ ...wireUser, v: '3' })],
    ['a negative version', message({ ...wireUser, v: -1 })],
    ['a fractional version', message({ ...wireUser, v: 1.5 })],
    ['one bad entry among good ones', message(wireSession, { k: 'session' })],
  ])('refuses a message that is %s', (_label, text) => {
    expect(decodeRevocations(text)).toBeUndefined();
  });
});
