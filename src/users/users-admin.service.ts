import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Role } from 'src/access/role.enum';
import { Clock } from 'src/common/clock';
import {
  DomainEvent,
  type UserDeletedEvent,
  type EmailVerifiedEvent,
  type UserDisabledEvent,
  type UserRoleChangedEvent,
} from 'src/events/domain-events';
import { RevocationService } from 'src/revocation/revocation.service';
import { UserProfileCache } from './user-profile.cache';
import type { User } from './user';
import { selfLockoutError, userNotFoundError } from './users.errors';
import { UsersRepository } from './users.repository';

export interface UserPage {
  items: User[];
  total: number;
  limit: number;
  offset: number;
}

export interface UserUpdate {
  roles?: Role[];
  disabled?: boolean;
  email_verified?: boolean;
}

const sameRoles = (a: Role[], b: Role[]): boolean =>
  a.length === b.length && a.every((role) => b.includes(role));

/**
 * What an admin may do to other accounts. Roles live in access tokens for speed, so every change that narrows
 * what a user may do also voids that user's existing access tokens through the revocation set: the change wins
 * from the next request on, on every instance.
 */
@Injectable()
export class UsersAdminService {
  private readonly logger = new Logger(UsersAdminService.name);

  constructor(
    private readonly repository: UsersRepository,
    private readonly revocations: RevocationService,
    private readonly events: EventEmitter2,
    private readonly profiles: UserProfileCache,
    private readonly clock: Clock,
  ) {}

  async listUsers(query: {
    limit: number;
    offset: number;
    q?: string;
  }): Promise<UserPage> {
    const { items, total } = await this.repository.list(query);
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async getUser(id: string): Promise<User> {
    const user = await this.repository.findById(id);
    if (!user) throw userNotFoundError();
    return user;
  }

  /**
   * Changes roles and/or the disabled flag. The row change raises the user's token version; the revocation then
   * refuses every access token signed below it, on every instance, whenever it was issued (a login or refresh
   * that read the old row signed with the old version, or failed its conditional write). A disable is announced
   * and awaited: sessions ends the user's sessions (its revocations stored before the rows end) before this
   * resolves, and a failure there fails the request.
   */
  async updateUser(
    actorId: string,
    id: string,
    changes: UserUpdate,
  ): Promise<User> {
    if (id === actorId) {
      if (changes.disabled === true) throw selfLockoutError('disable');
      if (changes.roles && !changes.roles.includes(Role.Admin))
        throw selfLockoutError('demote');
    }
    const result = await this.repository.updateStanding(
      id,
      {
        roles: changes.roles,
        disabled: changes.disabled,
        emailVerified: changes.email_verified,
      },
      this.clock.now(),
    );
    if (!result) throw userNotFoundError();
    const { before, after } = result;
    this.profiles.forget(after.id);

    const rolesChanged = !sameRoles(before.roles, after.roles);
    const disabledNow = after.disabled && !before.disabled;
    if (rolesChanged || disabledNow)
      await this.revocations.revokeUserTokens(after.id, result.tokenVersion);
    if (after.emailVerified && !before.emailVerified)
      this.events.emit(DomainEvent.EmailVerified, {
        userId: after.id,
        via: 'admin',
        actorId,
        client: {},
      } satisfies EmailVerifiedEvent);
    if (rolesChanged)
      this.events.emit(DomainEvent.UserRoleChanged, {
        userId: after.id,
        actorId,
        from: before.roles,
        to: after.roles,
      } satisfies UserRoleChangedEvent);
    if (disabledNow)
      await this.events.emitAsync(DomainEvent.UserDisabled, {
        userId: after.id,
        actorId,
      } satisfies UserDisabledEvent);
    this.logger.log({
      event: 'user_updated',
      actorId,
      userId: after.id,
      roles: rolesChanged ? after.roles : undefined,
      disabled: before.disabled === after.disabled ? undefined : after.disabled,
    });
    return after;
  }

  /**
   * Deletes the row for good (no anonymised tombstone): sessions and refresh tokens go with it (ON DELETE
   * CASCADE), and a user-level cut-off voids the access tokens still in circulation, durably, so they stay
   * refused after a restart until they would have expired anyway.
   */
  async deleteUser(actorId: string, id: string): Promise<void> {
    if (id === actorId) throw selfLockoutError('delete');
    const deleted = await this.repository.delete(id);
    if (!deleted) throw userNotFoundError();
    this.profiles.forget(deleted.id);
    await this.revocations.revokeUserTokens(deleted.id, deleted.tokenVersion);
    this.events.emit(DomainEvent.UserDeleted, {
      userId: deleted.id,
      actorId,
    } satisfies UserDeletedEvent);
    this.logger.log({ event: 'user_deleted', actorId, userId: deleted.id });
  }
}
