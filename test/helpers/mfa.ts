import { Secret } from 'otpauth';
import { codeAt } from 'src/mfa/totp';
import { bearer } from './http';
import type { TestApp } from './test-app';

/** The secret of a setup answer as bytes, to compute codes the way an authenticator app does. */
export function secretOf(base32: string): Buffer {
  return Buffer.from(Secret.fromBase32(base32).bytes);
}

/** The code an app shows at the test clock's now, `stepsAhead` 30-second steps later. */
export function codeFor(t: TestApp, secret: Buffer, stepsAhead = 0): string {
  return codeAt(secret, t.clock.now().getTime() + stepsAhead * 30_000);
}

export interface Enrolled {
  secret: Buffer;
  recoveryCodes: string[];
  /** The fresh access token confirm answered (amr otp, mfa). */
  access: string;
}

/** Sets up and confirms TOTP for the holder of `access`, then moves the clock past the confirming code's step. */
export async function enrolTotp(t: TestApp, access: string): Promise<Enrolled> {
  const setup = await t
    .http()
    .post('/auth/mfa/totp/setup')
    .set(...bearer(access))
    .expect(200);
  const secret = secretOf(setup.body.secret as string);
  const confirmed = await t
    .http()
    .post('/auth/mfa/totp/confirm')
    .set(...bearer(access))
    .send({ code: codeFor(t, secret) })
    .expect(200);
  t.clock.advance(30);
  return {
    secret,
    recoveryCodes: confirmed.body.recovery_codes as string[],
    access: (confirmed.body.access as { access_token: string }).access_token,
  };
}

/** Logs in with the password; returns the challenge token an MFA account gets. */
export async function challenge(
  t: TestApp,
  user: { username: string; password: string },
): Promise<string> {
  const res = await t
    .http()
    .post('/auth/login')
    .send({ username: user.username, password: user.password })
    .expect(200);
  if (res.body.mfa_required !== true)
    throw new Error('expected a second-factor challenge');
  return res.body.mfa_token as string;
}
