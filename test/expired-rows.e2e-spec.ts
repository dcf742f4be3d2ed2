import { sql } from 'drizzle-orm';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { EmailMailer } from 'src/email/email-mailer';
import { EmailService } from 'src/email/email.service';
import { MfaChallengesPurge } from 'src/mfa/mfa-challenges.purge';
import { WebauthnCeremoniesPurge } from 'src/passkeys/webauthn-ceremonies.purge';
import { challenge, enrolTotp } from './helpers/mfa';
import { closedPort } from './helpers/smtp';
import {
  createTestApp,
  newUser,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';

/** Single-use rows that stopped working are deleted by the hourly purges, and live ones are kept. */
describe('purge of expired tokens, challenges and ceremonies (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      // Mail is queued, never sent: what is counted here are the token rows.
      SMTP_URL: `smtp://127.0.0.1:${await closedPort()}`,
      KEYS_ENCRYPTION_KEY: 'a-test-keys-encryption-key-of-at-least-32-bytes!!',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function rows(table: string): Promise<number> {
    const db = t.app.get<Database>(DRIZZLE);
    const result = await db.execute(
      sql.raw(`select count(*)::int as n from ${table}`),
    );
    return Number((result.rows[0] as { n: number }).n);
  }

  /** One email token, one login challenge and one ceremony, made now. */
  async function makeOneOfEach(): Promise<void> {
    const { user, access } = await registerAndLogin(t, newUser('purge'));
    await t
      .http()
      .post('/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    await t.get(EmailService).settled();
    await enrolTotp(t, access);
    await challenge(t, user);
    await t.http().post('/auth/passkeys/login/options').send({}).expect(200);
  }

  it('deletes rows an hour after they expired, and keeps the rows that still work', async () => {
    await makeOneOfEach();
    expect(await rows('email_tokens')).toBe(1);
    expect(await rows('mfa_challenges')).toBe(1);
    expect(await rows('webauthn_ceremonies')).toBe(1);

    // Within the reset link's life nothing goes.
    const purges = () =>
      Promise.all([
        t.get(EmailMailer).purgeExpired(),
        t.get(MfaChallengesPurge).purgeExpired(),
        t.get(WebauthnCeremoniesPurge).purgeExpired(),
      ]);
    expect(await purges()).toEqual([0, 0, 0]);

    // 30 minutes (reset link), 5 minutes (challenge, ceremony), plus the hour of grace.
    t.clock.advance(2 * 3600);
    try {
      await makeOneOfEach();
      expect(await purges()).toEqual([1, 1, 1]);
      expect(await rows('email_tokens')).toBe(1);
      expect(await rows('mfa_challenges')).toBe(1);
      expect(await rows('webauthn_ceremonies')).toBe(1);
    } finally {
      t.clock.reset();
    }
  });
});
