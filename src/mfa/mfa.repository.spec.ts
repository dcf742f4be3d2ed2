import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from 'src/database/database.types';
import { insertUser, useMemoryDatabase } from 'test/helpers/memory-database';
import { mfaChallenges, recoveryCodes, users } from 'src/database/schema';
import { MfaRepository } from './mfa.repository';

const T0 = new Date('2026-12-03T12:00:00Z');

/**
 * The TOTP replay rule and the spending of recovery codes are decided by conditional UPDATEs, so they are tested
 * against the real SQL: one in-memory PGlite with the project's migrations for the whole file, a user of its own
 * for every test.
 */
describe(MfaRepository.name, () => {
  const database = useMemoryDatabase();
  let db: Database;
  let repository: MfaRepository;

  beforeAll(() => {
    db = database();
    repository = new MfaRepository(db);
  });

  async function createUser(totp: {
    enabled: boolean;
    lastStep?: number | null;
  }): Promise<string> {
    return insertUser(db, {
      totpSecret: totp.enabled ? 'sealed-secret' : null,
      totpPendingSecret: totp.enabled ? null : 'sealed-pending',
      totpEnabledAt: totp.enabled ? T0 : null,
      totpLastStep: totp.lastStep ?? null,
    });
  }

  async function lastStepOf(userId: string): Promise<number | null> {
    const [row] = await db
      .select({ step: users.totpLastStep })
      .from(users)
      .where(eq(users.id, userId));
    return row.step;
  }

  async function addCodes(userId: string, ...hashes: string[]): Promise<void> {
    await db
      .insert(recoveryCodes)
      .values(hashes.map((codeHash) => ({ userId, codeHash, createdAt: T0 })));
  }

  describe('useStep', () => {
    it('accepts the first step a user ever uses and records it', async () => {
      const user = await createUser({ enabled: true });

      await expect(repository.useStep(user, 1000)).resolves.toBe(true);
      await expect(lastStepOf(user)).resolves.toBe(1000);
    });

    it('refuses the same step a second time', async () => {
      const user = await createUser({ enabled: true });
      await repository.useStep(user, 1000);

      await expect(repository.useStep(user, 1000)).resolves.toBe(false);
      await expect(lastStepOf(user)).resolves.toBe(1000);
    });

    it('refuses an earlier step once a later one was used, and keeps the later one', async () => {
      const user = await createUser({ enabled: true, lastStep: 1001 });

      await expect(repository.useStep(user, 1000)).resolves.toBe(false);
      await expect(lastStepOf(user)).resolves.toBe(1001);
    });

    it('accepts a later step and records it', async () => {
      const user = await createUser({ enabled: true, lastStep: 1000 });

      await expect(repository.useStep(user, 1001)).resolves.toBe(true);
      await expect(lastStepOf(user)).resolves.toBe(1001);
    });

    it('refuses any step for a user whose TOTP is not enabled (only pending)', async () => {
      const user = await createUser({ enabled: false });

      await expect(repository.useStep(user, 1000)).resolves.toBe(false);
      await expect(lastStepOf(user)).resolves.toBeNull();
    });

    it('refuses any step for an unknown user', async () => {
      await expect(repository.useStep(randomUUID(), 1000)).resolves.toBe(false);
    });

    it("records the step for that user only: another user's steps are their own", async () => {
      const alice = await createUser({ enabled: true, lastStep: 500 });
      const bob = await createUser({ enabled: true, lastStep: 500 });

      await expect(repository.useStep(alice, 1000)).resolves.toBe(true);
      await expect(lastStepOf(bob)).resolves.toBe(500);
      await expect(repository.useStep(bob, 999)).resolves.toBe(true);
    });

    it('gives one success between two concurrent uses of the same step', async () => {
      const user = await createUser({ enabled: true, lastStep: 999 });

      const results = await Promise.all([
        repository.useStep(user, 1000),
        repository.useStep(user, 1000),
      ]);

      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(lastStepOf(user)).resolves.toBe(1000);
    });
  });

  describe('useRecoveryCode', () => {
    it('spends a code and returns how many unused ones remain', async () => {
      const user = await createUser({ enabled: true });
      await addCodes(user, 'hash-a', 'hash-b', 'hash-c');

      await expect(
        repository.useRecoveryCode(user, 'hash-a', T0),
      ).resolves.toBe(2);
      await expect(
        repository.useRecoveryCode(user, 'hash-b', T0),
      ).resolves.toBe(1);
    });

    it('records when the code was spent', async () => {
      const user = await createUser({ enabled: true });
      await addCodes(user, 'hash-a');
      const at = new Date(T0.getTime() + 5_000);

      await repository.useRecoveryCode(user, 'hash-a', at);

      const [row] = await db
        .select({ usedAt: recoveryCodes.usedAt })
        .from(recoveryCodes)
        .where(eq(recoveryCodes.userId, user));
      expect(row.usedAt).toEqual(at);
    });

    it('refuses a spent code, and the refusal spends nothing else', async () => {
      const user = await createUser({ enabled: true });
      await addCodes(user, 'hash-a', 'hash-b');
      await repository.useRecoveryCode(user, 'hash-a', T0);

      await expect(
        repository.useRecoveryCode(user, 'hash-a', T0),
      ).resolves.toBeUndefined();
      await expect(
        repository.useRecoveryCode(user, 'hash-b', T0),
      ).resolves.toBe(0);
    });

    it('returns 0 when the last unused code is spent', async () => {
      const user = await createUser({ enabled: true });
      await addCodes(user, 'hash-a');

      await expect(
        repository.useRecoveryCode(user, 'hash-a', T0),
      ).resolves.toBe(0);
    });

    it('refuses a code that is not one of the user’s', async () => {
      const user = await createUser({ enabled: true });
      await addCodes(user, 'hash-a');

      await expect(
        repository.useRecoveryCode(user, 'hash-unknown', T0),
      ).resolves.toBeUndefined();
    });

    it("refuses another user's code and leaves it unspent", async () => {
      const alice = await createUser({ enabled: true });
      const bob = await createUser({ enabled: true });
      await addCodes(alice, 'hash-a');
      await addCodes(bob, 'hash-bob');

      await expect(
        repository.useRecoveryCode(alice, 'hash-bob', T0),
      ).resolves.toBeUndefined();
      await expect(
        repository.useRecoveryCode(bob, 'hash-bob', T0),
      ).resolves.toBe(0);
    });

    it("counts only the user's own unused codes, not another user's", async () => {
      const alice = await createUser({ enabled: true });
      const bob = await createUser({ enabled: true });
      await addCodes(alice, 'hash-a', 'hash-b');
      await addCodes(bob, 'hash-c', 'hash-d', 'hash-e');

      await expect(
        repository.useRecoveryCode(alice, 'hash-a', T0),
      ).resolves.toBe(1);
    });

    it('gives one success between two concurrent uses of the same code', async () => {
      const user = await createUser({ enabled: true });
      await addCodes(user, 'hash-a', 'hash-b');

      const results = await Promise.all([
        repository.useRecoveryCode(user, 'hash-a', T0),
        repository.useRecoveryCode(user, 'hash-a', T0),
      ]);

      expect(results.filter((r) => r !== undefined)).toEqual([1]);
    });
  });

  describe('enrolment', () => {
    async function totpRow(userId: string) {
      const [row] = await db
        .select({
          secret: users.totpSecret,
          pending: users.totpPendingSecret,
          enabledAt: users.totpEnabledAt,
          lastStep: users.totpLastStep,
          tokenVersion: users.tokenVersion,
        })
        .from(users)
        .where(eq(users.id, userId));
      return row;
    }

    async function codesOf(userId: string): Promise<string[]> {
      const rows = await db
        .select({ codeHash: recoveryCodes.codeHash })
        .from(recoveryCodes)
        .where(eq(recoveryCodes.userId, userId));
      return rows.map((r) => r.codeHash).sort();
    }

    it('stores a pending secret for a user without a second factor', async () => {
      const user = await createUser({ enabled: false });

      await expect(repository.setPending(user, 'sealed-new', T0)).resolves.toBe(
        true,
      );
      await expect(totpRow(user)).resolves.toMatchObject({
        pending: 'sealed-new',
        enabledAt: null,
      });
    });

    it('stores no pending secret for a user whose TOTP is on, or an unknown user', async () => {
      const user = await createUser({ enabled: true });

      await expect(repository.setPending(user, 'sealed-new', T0)).resolves.toBe(
        false,
      );
      await expect(totpRow(user)).resolves.toMatchObject({
        secret: 'sealed-secret',
        pending: null,
      });
      await expect(
        repository.setPending(randomUUID(), 'sealed-new', T0),
      ).resolves.toBe(false);
    });

    it('turns on the pending secret it was checked against: step used, codes stored, token version raised', async () => {
      const user = await createUser({ enabled: false });
      const before = await totpRow(user);

      const version = await repository.enable({
        userId: user,
        sealed: 'sealed-pending',
        step: 1000,
        codeHashes: ['hash-a', 'hash-b'],
        now: T0,
      });

      expect(version).toBe(before.tokenVersion + 1);
      await expect(totpRow(user)).resolves.toEqual({
        secret: 'sealed-pending',
        pending: null,
        enabledAt: T0,
        lastStep: 1000,
        tokenVersion: before.tokenVersion + 1,
      });
      await expect(codesOf(user)).resolves.toEqual(['hash-a', 'hash-b']);
      await expect(repository.useStep(user, 1000)).resolves.toBe(false);
    });

    it('turns nothing on when another setup replaced the pending secret, or TOTP is on already', async () => {
      const replaced = await createUser({ enabled: false });
      const on = await createUser({ enabled: true });
      const input = {
        sealed: 'sealed-pending',
        step: 1000,
        codeHashes: ['hash-a'],
        now: T0,
      };
      await repository.setPending(replaced, 'sealed-newer', T0);
      // Not reachable through setPending (it refuses a user whose TOTP is on): enable must refuse it on its own.
      await db
        .update(users)
        .set({ totpPendingSecret: 'sealed-pending' })
        .where(eq(users.id, on));

      await expect(
        repository.enable({ ...input, userId: replaced }),
      ).resolves.toBeUndefined();
      await expect(
        repository.enable({ ...input, userId: on }),
      ).resolves.toBeUndefined();
      await expect(totpRow(replaced)).resolves.toMatchObject({
        secret: null,
        enabledAt: null,
        pending: 'sealed-newer',
      });
      await expect(codesOf(replaced)).resolves.toEqual([]);
      await expect(codesOf(on)).resolves.toEqual([]);
    });
  });

  describe('second factor state', () => {
    async function codesOf(userId: string): Promise<string[]> {
      const rows = await db
        .select({ codeHash: recoveryCodes.codeHash })
        .from(recoveryCodes)
        .where(eq(recoveryCodes.userId, userId));
      return rows.map((r) => r.codeHash).sort();
    }

    it('reads whether TOTP is on, with the sealed secrets', async () => {
      const on = await createUser({ enabled: true });
      const pending = await createUser({ enabled: false });

      await expect(repository.findTotp(on)).resolves.toEqual({
        secret: 'sealed-secret',
        pending: null,
        enabled: true,
      });
      await expect(repository.findTotp(pending)).resolves.toEqual({
        secret: null,
        pending: 'sealed-pending',
        enabled: false,
      });
      await expect(repository.findTotp(randomUUID())).resolves.toBeUndefined();
    });

    it("replaces every recovery code of a user whose TOTP is on, and no other user's", async () => {
      const user = await createUser({ enabled: true });
      const other = await createUser({ enabled: true });
      await addCodes(user, 'hash-old-1', 'hash-old-2');
      await addCodes(other, 'hash-other');

      await expect(
        repository.replaceRecoveryCodes(user, ['hash-new-1', 'hash-new-2'], T0),
      ).resolves.toBe(true);
      await expect(codesOf(user)).resolves.toEqual([
        'hash-new-1',
        'hash-new-2',
      ]);
      await expect(codesOf(other)).resolves.toEqual(['hash-other']);
    });

    it('stores no recovery codes for a user whose TOTP is not on', async () => {
      const user = await createUser({ enabled: false });

      await expect(
        repository.replaceRecoveryCodes(user, ['hash-new'], T0),
      ).resolves.toBe(false);
      await expect(codesOf(user)).resolves.toEqual([]);
    });

    it('turns the second factor off: secrets, last step, recovery codes and open challenges go', async () => {
      const user = await createUser({ enabled: true, lastStep: 1000 });
      const other = await createUser({ enabled: true, lastStep: 1000 });
      await addCodes(user, 'hash-a');
      await addCodes(other, 'hash-b');
      for (const owner of [user, other])
        await repository.createChallenge({
          userId: owner,
          tokenHash: `token-${randomUUID()}`,
          ip: null,
          userAgent: null,
          createdAt: T0,
          expiresAt: T0,
          firstFactor: 'pwd',
        });
      const later = new Date(T0.getTime() + 60_000);

      await expect(repository.disable(user, later)).resolves.toBe(true);

      const [row] = await db
        .select({
          secret: users.totpSecret,
          pending: users.totpPendingSecret,
          enabledAt: users.totpEnabledAt,
          lastStep: users.totpLastStep,
          updatedAt: users.updatedAt,
        })
        .from(users)
        .where(eq(users.id, user));
      expect(row).toEqual({
        secret: null,
        pending: null,
        enabledAt: null,
        lastStep: null,
        updatedAt: later,
      });
      await expect(codesOf(user)).resolves.toEqual([]);
      // The only challenges in this file's database are the two opened above.
      const challenges = await db
        .select({ userId: mfaChallenges.userId })
        .from(mfaChallenges);
      expect(challenges).toEqual([{ userId: other }]);
      await expect(codesOf(other)).resolves.toEqual(['hash-b']);
      await expect(lastStepOf(other)).resolves.toBe(1000);
    });

    it('says whether the second factor was on: false for a pending one, undefined for an unknown user', async () => {
      const pending = await createUser({ enabled: false });

      await expect(repository.disable(pending, T0)).resolves.toBe(false);
      await expect(repository.findTotp(pending)).resolves.toMatchObject({
        pending: null,
      });
      await expect(
        repository.disable(randomUUID(), T0),
      ).resolves.toBeUndefined();
    });
  });
});
