import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { Role } from 'src/access/role.enum';
import { Clock } from 'src/common/clock';
import { CanonicalUuidPipe } from 'src/common/uuid-param';
import { DomainEvent } from 'src/events/domain-events';
import type { RevocationService } from 'src/revocation/revocation.service';
import type { User } from './user';
import type { UserProfileCache } from './user-profile.cache';
import { UsersAdminService } from './users-admin.service';
import type { UsersRepository } from './users.repository';

const ADMIN = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
const ALICE = 'a11ce000-0000-4000-8000-00000000a11c';

function user(overrides: Partial<User> = {}): User {
  return {
    id: ALICE,
    username: 'alice',
    email: 'alice@example.com',
    roles: [Role.User],
    disabled: false,
    emailVerified: false,
    mfaEnabled: false,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

/** One user row in memory; a standing change raises its token version as the repository does. */
function setup(stored: User | null = user()) {
  let row: User | undefined = stored ?? undefined;
  let tokenVersion = 3;
  const repository = {
    updateStanding: jest.fn(
      (id: string, changes: { roles?: Role[]; disabled?: boolean }) => {
        if (!row || row.id !== id) return Promise.resolve(undefined);
        const before = row;
        row = {
          ...row,
          roles: changes.roles ?? row.roles,
          disabled: changes.disabled ?? row.disabled,
        };
        tokenVersion += 1;
        return Promise.resolve({ before, after: row, tokenVersion });
      },
    ),
    delete: jest.fn((id: string) => {
      if (!row || row.id !== id) return Promise.resolve(undefined);
      row = undefined;
      return Promise.resolve({ id, tokenVersion });
    }),
  };
  const revocations = { revokeUserTokens: jest.fn(() => Promise.resolve()) };
  const events = {
    emit: jest.fn(() => true),
    emitAsync: jest.fn(() => Promise.resolve([])),
  };
  const profiles = { forget: jest.fn() };
  const service = new UsersAdminService(
    repository as unknown as UsersRepository,
    revocations as unknown as RevocationService,
    events as unknown as EventEmitter2,
    profiles as unknown as UserProfileCache,
    new Clock(),
  );
  return { service, repository, revocations, events, profiles };
}

describe(UsersAdminService.name, () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('protects an admin from locking themselves out', () => {
    it.each([
      ['disable', { disabled: true }],
      ['demote', { roles: [Role.User] }],
    ])(
      'refuses to %s the caller even when the path spelled their id in upper case',
      async (_action, changes) => {
        const { service, repository } = setup(user({ id: ADMIN }));
        const pathId = await new CanonicalUuidPipe('id').transform(
          ADMIN.toUpperCase(),
        );
        await expect(
          service.updateUser(ADMIN, pathId, changes),
        ).rejects.toMatchObject({ code: 'USERS.SELF_LOCKOUT' });
        expect(repository.updateStanding).not.toHaveBeenCalled();
      },
    );

    it('refuses to delete the caller', async () => {
      const { service, repository } = setup(user({ id: ADMIN }));
      const pathId = await new CanonicalUuidPipe('id').transform(
        ADMIN.toUpperCase(),
      );
      await expect(service.deleteUser(ADMIN, pathId)).rejects.toMatchObject({
        code: 'USERS.SELF_LOCKOUT',
      });
      expect(repository.delete).not.toHaveBeenCalled();
    });

    it('lets an admin keep their own admin role while adding another', async () => {
      const { service } = setup(user({ id: ADMIN, roles: [Role.Admin] }));
      const after = await service.updateUser(ADMIN, ADMIN, {
        roles: [Role.Admin, Role.User],
      });
      expect(after.roles).toEqual([Role.Admin, Role.User]);
    });
  });

  it('disables: voids the tokens below the version the update returned, then awaits the announcement', async () => {
    const { service, revocations, events, profiles } = setup();
    const order: string[] = [];
    revocations.revokeUserTokens.mockImplementation(() => {
      order.push('revoke');
      return Promise.resolve();
    });
    events.emitAsync.mockImplementation(() => {
      order.push('announce');
      return Promise.resolve([]);
    });
    const after = await service.updateUser(ADMIN, ALICE, { disabled: true });
    expect(after.disabled).toBe(true);
    expect(revocations.revokeUserTokens).toHaveBeenCalledWith(ALICE, 4);
    expect(events.emitAsync).toHaveBeenCalledWith(DomainEvent.UserDisabled, {
      userId: ALICE,
      actorId: ADMIN,
    });
    expect(order).toEqual(['revoke', 'announce']);
    expect(profiles.forget).toHaveBeenCalledWith(ALICE);
  });

  it('fails the request when ending the disabled user’s sessions fails', async () => {
    const { service, events } = setup();
    events.emitAsync.mockRejectedValue(new Error('revocation store down'));
    await expect(
      service.updateUser(ADMIN, ALICE, { disabled: true }),
    ).rejects.toThrow('revocation store down');
  });

  it('does not announce a disable again for a user who was already disabled', async () => {
    const { service, revocations, events } = setup(user({ disabled: true }));
    await service.updateUser(ADMIN, ALICE, { disabled: true });
    expect(events.emitAsync).not.toHaveBeenCalled();
    expect(revocations.revokeUserTokens).not.toHaveBeenCalled();
  });

  it('changes roles: voids the old tokens and announces the change from and to', async () => {
    const { service, revocations, events } = setup();
    await service.updateUser(ADMIN, ALICE, { roles: [Role.Admin] });
    expect(revocations.revokeUserTokens).toHaveBeenCalledWith(ALICE, 4);
    expect(events.emit).toHaveBeenCalledWith(DomainEvent.UserRoleChanged, {
      userId: ALICE,
      actorId: ADMIN,
      from: [Role.User],
      to: [Role.Admin],
    });
    expect(events.emitAsync).not.toHaveBeenCalled();
  });

  it('treats the same roles in another order as no change', async () => {
    const { service, revocations, events } = setup(
      user({ roles: [Role.User, Role.Admin] }),
    );
    await service.updateUser(ADMIN, ALICE, { roles: [Role.Admin, Role.User] });
    expect(revocations.revokeUserTokens).not.toHaveBeenCalled();
    expect(events.emit).not.toHaveBeenCalled();
  });

  it('answers 404 for an unknown user', async () => {
    const { service } = setup(null);
    await expect(
      service.updateUser(ADMIN, ALICE, { disabled: true }),
    ).rejects.toMatchObject({ code: 'USERS.NOT_FOUND' });
    await expect(service.deleteUser(ADMIN, ALICE)).rejects.toMatchObject({
      code: 'USERS.NOT_FOUND',
    });
  });

  it('deletes: voids the tokens up to the deleted row’s version and announces it', async () => {
    const { service, revocations, events, profiles } = setup();
    await service.deleteUser(ADMIN, ALICE);
    expect(revocations.revokeUserTokens).toHaveBeenCalledWith(ALICE, 3);
    expect(events.emit).toHaveBeenCalledWith(DomainEvent.UserDeleted, {
      userId: ALICE,
      actorId: ADMIN,
    });
    expect(profiles.forget).toHaveBeenCalledWith(ALICE);
  });
});
