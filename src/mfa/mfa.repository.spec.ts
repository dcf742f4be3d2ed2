import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { openDatabase } from 'src/database/database.factory';
import type { DatabaseHandle } from 'src/database/database.service';
import type { Database } from 'src/database/database.types';
import { mfaChallenges, recoveryCodes, users } from 'src/database/schema';
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

  async function openChallenge(
    userId: string,
    expiresAt = new Date(T0.getTime() + 300_000),
  ): Promise<{ id: string; tokenHash: string }> {
    const tokenHash = `token-${randomUUID()}`;
    await repository.createChallenge({
      userId,
      tokenHash,
      ip: '203.0.113.7',
      userAgent: 'spec',
      createdAt: T0,
      expiresAt,
      firstFactor: 'pwd',
    });
    const [row] = await db
      .select({ id: mfaChallenges.id })
      .from(mfaChallenges)
      .where(eq(mfaChallenges.tokenHash, tokenHash));
    return { id: row.id, tokenHash };
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

  describe('login challenges', () => {
    const MAX = 3;
    const END = new Date(T0.getTime() + 300_000);

    it('finds an open challenge by its token hash, with the login context it carries', async () => {
      const user = await createUser({ enabled: true });
      await openChallenge(user);
      const { id, tokenHash } = await openChallenge(user);

      await expect(
        repository.findLiveChallenge(tokenHash, T0, MAX),
      ).resolves.toEqual({
        id,
        userId: user,
        ip: '203.0.113.7',
        userAgent: 'spec',
        firstFactor: 'pwd',
      });
    });

    it('finds no challenge for an unknown token hash', async () => {
      await expect(
        repository.findLiveChallenge('token-unknown', T0, MAX),
      ).resolves.toBeUndefined();
    });

    it('finds a challenge until the instant it ends, and not at that instant', async () => {
      const user = await createUser({ enabled: true });
      const { tokenHash } = await openChallenge(user, END);

      await expect(
        repository.findLiveChallenge(
          tokenHash,
          new Date(END.getTime() - 1),
          MAX,
        ),
      ).resolves.toBeDefined();
      await expect(
        repository.findLiveChallenge(tokenHash, END, MAX),
      ).resolves.toBeUndefined();
    });

    it('finds no challenge that was spent, or whose attempts are all used', async () => {
      const user = await createUser({ enabled: true });
      const spent = await openChallenge(user);
      const guessed = await openChallenge(user);
      await repository.completeChallenge(spent.id, T0);
      for (let i = 0; i < MAX; i += 1)
        await repository.reserveAttempt(guessed.id, T0, MAX);

      await expect(
        repository.findLiveChallenge(spent.tokenHash, T0, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.findLiveChallenge(guessed.tokenHash, T0, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.findLiveChallenge(guessed.tokenHash, T0, MAX + 1),
      ).resolves.toBeDefined();
    });

    it('reserves attempts one by one up to the limit, then none', async () => {
      const user = await createUser({ enabled: true });
      const { id } = await openChallenge(user);

      const used: Array<number | undefined> = [];
      for (let i = 0; i <= MAX; i += 1)
        used.push(await repository.reserveAttempt(id, T0, MAX));

      expect(used).toEqual([1, 2, 3, undefined]);
    });

    it('lets a burst of concurrent guesses reserve no more than the limit', async () => {
      const user = await createUser({ enabled: true });
      const { id } = await openChallenge(user);

      const used = await Promise.all(
        Array.from({ length: MAX + 3 }, () =>
          repository.reserveAttempt(id, T0, MAX),
        ),
      );

      expect(used.filter((n) => n !== undefined).sort()).toEqual([1, 2, 3]);
    });

    it("counts attempts per challenge: another challenge's guesses take none of them", async () => {
      const user = await createUser({ enabled: true });
      const first = await openChallenge(user);
      const second = await openChallenge(user);
      await repository.reserveAttempt(first.id, T0, MAX);

      await expect(repository.reserveAttempt(second.id, T0, MAX)).resolves.toBe(
        1,
      );
    });

    it('reserves no attempt on an unknown, ended or spent challenge', async () => {
      const user = await createUser({ enabled: true });
      const ended = await openChallenge(user, END);
      const spent = await openChallenge(user);
      await repository.completeChallenge(spent.id, T0);

      await expect(
        repository.reserveAttempt(randomUUID(), T0, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.reserveAttempt(ended.id, END, MAX),
      ).resolves.toBeUndefined();
      await expect(
        repository.reserveAttempt(ended.id, new Date(END.getTime() - 1), MAX),
      ).resolves.toBe(1);
      await expect(
        repository.reserveAttempt(spent.id, T0, MAX),
      ).resolves.toBeUndefined();
    });

    it('spends a challenge once: the second completion is refused', async () => {
      const user = await createUser({ enabled: true });
      const { id } = await openChallenge(user);

      await expect(repository.completeChallenge(id, T0)).resolves.toBe(true);
      await expect(repository.completeChallenge(id, T0)).resolves.toBe(false);
    });

    it('gives one success between two concurrent completions of one challenge', async () => {
      const user = await createUser({ enabled: true });
      const { id } = await openChallenge(user);

      const results = await Promise.all([
        repository.completeChallenge(id, T0),
        repository.completeChallenge(id, T0),
      ]);

      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('completes only the challenge it names', async () => {
      const user = await createUser({ enabled: true });
      const first = await openChallenge(user);
      const second = await openChallenge(user);

      await expect(repository.completeChallenge(first.id, T0)).resolves.toBe(
        true,
      );
      await expect(
        repository.findLiveChallenge(second.tokenHash, T0, MAX),
      ).resolves.toBeDefined();
      await expect(
        repository.completeChallenge(randomUUID(), T0),
      ).resolves.toBe(false);
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
});
