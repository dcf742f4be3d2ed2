import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from 'src/database/database.types';
import { insertUser, useMemoryDatabase } from 'test/helpers/memory-database';
import { passkeys } from 'src/database/schema';
import { PasskeysRepository, type StoredPasskey } from './passkeys.repository';

const T0 = new Date('2026-12-03T12:00:00Z');
const END = new Date(T0.getTime() + 300_000);

/**
 * Spending a WebAuthn ceremony, the counter update and the owner checks of rename and delete are decided in SQL
 * (and, for a ceremony, on the row the DELETE returned), so they are tested on one in-memory PGlite with the
 * project's migrations for the whole file.
 */
describe(PasskeysRepository.name, () => {
  const database = useMemoryDatabase();
  let db: Database;
  let repository: PasskeysRepository;

  beforeAll(() => {
    db = database();
    repository = new PasskeysRepository(db);
  });

  const createUser = (): Promise<string> => insertUser(db);

  async function createPasskey(
    userId: string,
    counter = 5,
    createdAt = T0,
  ): Promise<StoredPasskey> {
    const passkey = await repository.insert({
      userId,
      credentialId: `cred-${randomUUID()}`,
      publicKey: 'public-key',
      counter,
      transports: ['internal'],
      backedUp: false,
      deviceType: 'singleDevice',
      name: 'laptop',
      createdAt,
    });
    if (!passkey) throw new Error('passkey not stored');
    return passkey;
  }

  async function stored(id: string): Promise<StoredPasskey | undefined> {
    const [row] = await db.select().from(passkeys).where(eq(passkeys.id, id));
    return row;
  }

  describe('takeCeremony', () => {
    async function openCeremony(
      userId: string | null,
      expiresAt = END,
    ): Promise<string> {
      return repository.createCeremony({
        kind: 'authentication',
        userId,
        challenge: 'challenge-1',
        createdAt: T0,
        expiresAt,
      });
    }

    it('returns the ceremony of the asked kind while it is open', async () => {
      const user = await createUser();
      const id = await openCeremony(user);

      await expect(
        repository.takeCeremony(id, 'authentication', T0),
      ).resolves.toEqual({ userId: user, challenge: 'challenge-1' });
    });

    it('spends the ceremony: a second take finds nothing', async () => {
      const id = await openCeremony(null);
      await repository.takeCeremony(id, 'authentication', T0);

      await expect(
        repository.takeCeremony(id, 'authentication', T0),
      ).resolves.toBeUndefined();
    });

    it('gives the ceremony to one of two concurrent takes', async () => {
      const id = await openCeremony(null);

      const results = await Promise.all([
        repository.takeCeremony(id, 'authentication', T0),
        repository.takeCeremony(id, 'authentication', T0),
      ]);

      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('refuses a ceremony of another kind, and spends it all the same', async () => {
      const id = await openCeremony(null);

      await expect(
        repository.takeCeremony(id, 'second_factor', T0),
      ).resolves.toBeUndefined();
      await expect(
        repository.takeCeremony(id, 'authentication', T0),
      ).resolves.toBeUndefined();
    });

    it('returns a ceremony until the instant it ends, and not at that instant', async () => {
      const open = await openCeremony(null);
      const ended = await openCeremony(null);

      await expect(
        repository.takeCeremony(
          open,
          'authentication',
          new Date(END.getTime() - 1),
        ),
      ).resolves.toBeDefined();
      await expect(
        repository.takeCeremony(ended, 'authentication', END),
      ).resolves.toBeUndefined();
    });

    it('refuses an unknown ceremony and spends no other', async () => {
      const other = await openCeremony(null);

      await expect(
        repository.takeCeremony(randomUUID(), 'authentication', T0),
      ).resolves.toBeUndefined();
      await expect(
        repository.takeCeremony(other, 'authentication', T0),
      ).resolves.toBeDefined();
    });
  });

  describe('recordUse', () => {
    it('stores the new counter and the time of use when the stored counter is the one checked', async () => {
      const passkey = await createPasskey(await createUser(), 5);

      await expect(repository.recordUse(passkey.id, 5, 6, T0)).resolves.toBe(
        true,
      );
      await expect(stored(passkey.id)).resolves.toMatchObject({
        counter: 6,
        lastUsedAt: T0,
      });
    });

    it('refuses when the stored counter moved on since the check, and keeps it', async () => {
      const passkey = await createPasskey(await createUser(), 5);
      await repository.recordUse(passkey.id, 5, 6, T0);

      await expect(repository.recordUse(passkey.id, 5, 7, T0)).resolves.toBe(
        false,
      );
      await expect(stored(passkey.id)).resolves.toMatchObject({ counter: 6 });
    });

    it('lets one of two concurrent uses checked against the same counter pass', async () => {
      const passkey = await createPasskey(await createUser(), 5);

      const results = await Promise.all([
        repository.recordUse(passkey.id, 5, 6, T0),
        repository.recordUse(passkey.id, 5, 6, T0),
      ]);

      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('updates only the passkey it names', async () => {
      const user = await createUser();
      const first = await createPasskey(user, 5);
      const second = await createPasskey(user, 5);

      await expect(repository.recordUse(first.id, 5, 6, T0)).resolves.toBe(
        true,
      );
      await expect(stored(second.id)).resolves.toMatchObject({
        counter: 5,
        lastUsedAt: null,
      });
      await expect(repository.recordUse(randomUUID(), 5, 6, T0)).resolves.toBe(
        false,
      );
    });
  });

  describe('owner checks', () => {
    it("renames a user's own passkey", async () => {
      const user = await createUser();
      const passkey = await createPasskey(user);

      await expect(
        repository.rename(user, passkey.id, 'phone'),
      ).resolves.toMatchObject({ id: passkey.id, name: 'phone' });
    });

    it("neither renames nor deletes another user's passkey", async () => {
      const owner = await createUser();
      const intruder = await createUser();
      const passkey = await createPasskey(owner);

      await expect(
        repository.rename(intruder, passkey.id, 'mine now'),
      ).resolves.toBeUndefined();
      await expect(repository.delete(intruder, passkey.id)).resolves.toBe(
        false,
      );
      await expect(stored(passkey.id)).resolves.toMatchObject({
        name: 'laptop',
      });
    });

    it("deletes a user's own passkey once, and no other", async () => {
      const user = await createUser();
      const passkey = await createPasskey(user);
      const kept = await createPasskey(user);

      await expect(repository.delete(user, passkey.id)).resolves.toBe(true);
      await expect(repository.delete(user, passkey.id)).resolves.toBe(false);
      await expect(stored(kept.id)).resolves.toBeDefined();
    });

    it('fails, rather than report a duplicate, when the passkey cannot be stored for another reason', async () => {
      await expect(
        repository.insert({
          userId: randomUUID(),
          credentialId: `cred-${randomUUID()}`,
          publicKey: 'public-key',
          counter: 0,
          transports: [],
          backedUp: false,
          deviceType: 'singleDevice',
          name: 'orphan',
          createdAt: T0,
        }),
      ).rejects.toThrow();
    });

    it('refuses a credential registered already, to anyone', async () => {
      const owner = await createUser();
      const passkey = await createPasskey(owner);

      await expect(
        repository.insert({
          userId: await createUser(),
          credentialId: passkey.credentialId,
          publicKey: 'another-key',
          counter: 0,
          transports: [],
          backedUp: false,
          deviceType: 'singleDevice',
          name: 'copy',
          createdAt: T0,
        }),
      ).resolves.toBeUndefined();
    });
  });

  describe('lookups and purge', () => {
    it('finds a passkey by its credential id, and nothing for an unknown one', async () => {
      const passkey = await createPasskey(await createUser());

      await expect(
        repository.findByCredentialId(passkey.credentialId),
      ).resolves.toEqual(passkey);
      await expect(
        repository.findByCredentialId('cred-unknown'),
      ).resolves.toBeUndefined();
    });

    it("lists a user's passkeys oldest first, and no other user's", async () => {
      const user = await createUser();
      const newer = await createPasskey(
        user,
        5,
        new Date(T0.getTime() + 1_000),
      );
      const older = await createPasskey(user);

      const listed = await repository.listOf(user);

      expect(listed.map((p) => p.id)).toEqual([older.id, newer.id]);
    });

    it('purges the ceremonies that ended before the given time, and counts them', async () => {
      // Before every other ceremony of this file ends: the purge is not per user.
      const cut = new Date(T0.getTime() - 86_400_000);
      const ceremony = (expiresAt: Date) =>
        repository.createCeremony({
          kind: 'registration',
          userId: null,
          challenge: 'challenge-2',
          createdAt: T0,
          expiresAt,
        });
      await ceremony(new Date(cut.getTime() - 1));
      await ceremony(new Date(cut.getTime() - 2));
      const atCut = await ceremony(cut);

      await expect(repository.purgeCeremonies(cut)).resolves.toBe(2);
      await expect(
        repository.takeCeremony(atCut, 'registration', new Date(0)),
      ).resolves.toEqual({ userId: null, challenge: 'challenge-2' });
    });
  });
});
