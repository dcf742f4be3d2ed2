import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { SigningKeysService } from 'src/keys/signing-keys.service';
import { LOG_DESTINATION } from 'src/logging/log-destination';
import {
  createTestApp,
  DatabaseService,
  registerAndLogin,
  type TestApp,
} from './helpers/test-app';
import {
  headerOf,
  importJose,
  KEYS_ENCRYPTION_KEY,
  payloadOf,
} from './keys-helpers';

jest.setTimeout(120_000);

class CapturedLog extends Writable {
  text = '';
  _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * Someone who can write the key table but not read KEYS_ENCRYPTION_KEY swaps a key's public half for their own,
 * hoping the instances publish it and verify their tokens with it. nestjs-pino keeps one logger per process, so
 * this file builds exactly one application.
 */
describe('a stored key whose public half was swapped (e2e)', () => {
  const log = new CapturedLog();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(
      {
        JWT_ALGORITHM: 'ES256',
        KEYS_ENCRYPTION_KEY,
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
      },
      { overrides: [[LOG_DESTINATION, log]] },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is refused: logged, not published in the JWKS, not used to verify, and signing goes on with a sound key', async () => {
    const keys = t.get(SigningKeysService);
    const first = await registerAndLogin(t);
    const firstKid = headerOf(first.access).kid as string;
    await keys.rotate(true);
    const second = await registerAndLogin(t);
    const swappedKid = headerOf(second.access).kid as string;
    expect(swappedKid).not.toBe(firstKid);

    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = attacker.publicKey.export({ format: 'jwk' });
    await t
      .get(DatabaseService)
      .db.execute(
        sql`update signing_keys set public_jwk = ${JSON.stringify({ kty, crv, x, y })}::jsonb where kid = ${swappedKid}`,
      );
    await keys.reload();

    const jwks = await t.http().get('/.well-known/jwks.json').expect(200);
    const published = (jwks.body.keys as { kid: string }[]).map((k) => k.kid);
    expect(published).toEqual([firstKid]);

    const { SignJWT } = await importJose();
    const forged = await new SignJWT(payloadOf(second.access))
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: swappedKid })
      .sign(attacker.privateKey);
    for (const token of [forged, second.access])
      await t
        .http()
        .get('/auth/me')
        .set('authorization', `Bearer ${token}`)
        .expect(401);

    // The key that is still sound signs again, and its tokens verify.
    const after = await registerAndLogin(t);
    expect(headerOf(after.access).kid).toBe(firstKid);
    await t
      .http()
      .get('/auth/me')
      .set('authorization', `Bearer ${after.access}`)
      .expect(200);

    const refusals = log
      .lines()
      .filter((l) => l.event === 'signing_key_refused');
    expect(refusals).toEqual([
      expect.objectContaining({
        level: 50,
        kid: swappedKid,
        reason: expect.stringContaining('public key') as unknown,
      }),
    ]);
    // Refused once, logged once: the periodic reload does not repeat it.
    await keys.reload();
    expect(
      log.lines().filter((l) => l.event === 'signing_key_refused'),
    ).toHaveLength(1);
  });
});
