import { DomainValidationError } from 'src/common/domain-error';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';

const ID = '0190c2c4-6d3a-7b1e-9f00-1234567890ab';
const AT = new Date('2026-05-01T12:34:56.789Z');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('audit cursor', () => {
  it('reads back the time and id it encoded', () => {
    expect(
      decodeAuditCursor(encodeAuditCursor({ occurredAt: AT, id: ID })),
    ).toEqual({ occurredAt: AT, id: ID });
  });

  it('is base64url of "<ISO time>|<id>", so it carries no padding or unsafe characters', () => {
    const cursor = encodeAuditCursor({ occurredAt: AT, id: ID });

    expect(cursor).toBe(b64(`${AT.toISOString()}|${ID}`));
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('accepts an upper-case id', () => {
    expect(
      decodeAuditCursor(b64(`${AT.toISOString()}|${ID.toUpperCase()}`)).id,
    ).toBe(ID.toUpperCase());
  });

  it.each([
    ['a third field', `${AT.toISOString()}|${ID}|x`],
    ['an empty third field', `${AT.toISOString()}|${ID}|`],
    ['no id', AT.toISOString()],
    ['an id that is not a UUID', `${AT.toISOString()}|not-a-uuid`],
    ['a UUID with a prefix', `${AT.toISOString()}|x${ID}`],
    ['a UUID with a suffix', `${AT.toISOString()}|${ID}x`],
    ['a time that is not a date', `yesterday|${ID}`],
    ['an empty time', `|${ID}`],
    ['nothing', ''],
  ])(
    'refuses a cursor with %s as a validation error on "before"',
    (_case, text) => {
      const decode = () => decodeAuditCursor(b64(text));

      expect(decode).toThrow(DomainValidationError);
      expect(decode).toThrow(
        expect.objectContaining({
          errors: [
            {
              field: 'before',
              message: 'before must be a next_cursor returned by this API',
            },
          ],
        }),
      );
    },
  );
});
