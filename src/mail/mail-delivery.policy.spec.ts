import {
  decideAfterFailure,
  isPermanent,
  retryDelaySeconds,
  summarizeError,
  unsafeHeaders,
} from './mail-delivery.policy';

const policy = {
  retryBaseSeconds: 30,
  retryMaxDelaySeconds: 900,
  maxAttempts: 3,
  maxAgeSeconds: 3 * 24 * 3600,
};
const created = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): Date =>
  new Date(created.getTime() + seconds * 1000);

describe('mail delivery policy', () => {
  it('doubles the delay from the base after each try and caps it at the maximum', () => {
    expect(
      [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(n, 30, 900)),
    ).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(retryDelaySeconds(10_000, 30, 900)).toBe(900);
  });

  it('treats a 5xx reply as permanent and a 4xx reply or no reply as transient', () => {
    expect(isPermanent({ responseCode: 550 })).toBe(true);
    expect(isPermanent({ responseCode: 500 })).toBe(true);
    expect(isPermanent({ responseCode: 451 })).toBe(false);
    expect(isPermanent({ code: 'ECONNECTION' })).toBe(false);
    expect(isPermanent({ code: 'ETIMEDOUT' })).toBe(false);
  });

  it('retries a 5xx refusal with backoff until MAIL_MAX_ATTEMPTS tries, then gives up as rejected', () => {
    const now = at(10);
    expect(
      decideAfterFailure(
        { attempts: 1, createdAt: created },
        { responseCode: 550 },
        now,
        policy,
      ),
    ).toEqual({ action: 'defer', nextAttemptAt: at(40) });
    expect(
      decideAfterFailure(
        { attempts: 2, createdAt: created },
        { responseCode: 550 },
        now,
        policy,
      ),
    ).toEqual({ action: 'defer', nextAttemptAt: at(70) });
    expect(
      decideAfterFailure(
        { attempts: 3, createdAt: created },
        { responseCode: 550 },
        now,
        policy,
      ),
    ).toEqual({ action: 'fail', reason: 'rejected' });
  });

  it('retries a transient failure past MAIL_MAX_ATTEMPTS until the mail is older than MAIL_MAX_AGE', () => {
    const old = policy.maxAgeSeconds;
    for (const error of [{ responseCode: 421 }, { code: 'ECONNECTION' }]) {
      expect(
        decideAfterFailure(
          { attempts: 50, createdAt: created },
          error,
          at(old),
          policy,
        ),
      ).toEqual({ action: 'defer', nextAttemptAt: at(old + 900) });
      expect(
        decideAfterFailure(
          { attempts: 50, createdAt: created },
          error,
          at(old + 1),
          policy,
        ),
      ).toEqual({ action: 'fail', reason: 'expired' });
    }
  });

  it('summarizes an error as its code and first reply line, without control characters, at most 300 characters', () => {
    expect(
      summarizeError({
        responseCode: 550,
        response: '550 5.1.1 no such user\r\nhttps://example.com/#token=secret',
        message: 'Message failed: 550 5.1.1 no such user',
      }),
    ).toBe('550 5.1.1 no such user');
    expect(summarizeError({ responseCode: 421, response: 'try later' })).toBe(
      '421 try later',
    );
    expect(
      summarizeError({
        code: 'ECONNECTION',
        message: 'connect ECONNREFUSED\tx',
      }),
    ).toBe('ECONNECTION connect ECONNREFUSED x');
    const long = summarizeError({
      responseCode: 554,
      response: `554 ${'x'.repeat(1000)}`,
    });
    expect(long).toHaveLength(300);
    expect(long.startsWith('554 xxx')).toBe(true);
  });

  it('refuses a recipient or subject that carries a line break', () => {
    expect(
      unsafeHeaders({ to: 'a@example.com', subject: 'Hello' }),
    ).toBeUndefined();
    expect(
      unsafeHeaders({
        to: 'a@example.com\r\nBcc: b@example.com',
        subject: 'Hi',
      }),
    ).toMatch(/recipient/);
    expect(
      unsafeHeaders({ to: 'a@example.com', subject: 'Hi\nBcc: b@example.com' }),
    ).toMatch(/subject/);
  });
});
