import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { openDatabase } from 'src/database/database.factory';
import type { DatabaseHandle } from 'src/database/database.service';
import type { Database } from 'src/database/database.types';
import { recoveryCodes, users } from 'src/database/schema';
import { MfaRepository } from './mfa.repository';

const T0 = new Date('2026-12-03T12:00:00Z');

/**
 * The TOTP replay rule and the spending of recovery codes are decided by conditional UPDATEs, so they are tested
 * against the real SQL: one in-memory PGlite with the project's migrations for the whole file, a user of its own
 * for every test.
 */
describe(MfaRepository.name, () => {
  let handle: DatabaseHandle;
  let db: Database;
  let repository: MfaRepository;

  beforeAll(async () => {
    handle = await openDatabase({
      url: 'pglite://memory',
      dataDir: '',
      poolMax: 1,
    });
    db = handle.db;
    repository = new MfaRepository(db);
  }, 60_000);

  afterAll(() => handle?.close());

  async function createUser(totp: {
    enabled: boolean;
    lastStep?: number | null;
  }): Promise<string> {
    const [row] = await db
      .insert(users)
      .values({
        username: `user-${randomUUID()}`,
        totpSecret: totp.enabled ? 'sealed-secret' : null,
        totpPendingSecret: totp.enabled ? null : 'sealed-pending',
        totpEnabledAt: totp.enabled ? T0 : null,
        totpLastStep: totp.lastStep ?? null,
      })
      .returning({ id: users.id });
    return row.id;
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
});
