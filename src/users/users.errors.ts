import { DomainError } from 'src/common/domain-error';

/** Kept as a class: the first-admin bootstrap and the CLI tell a taken name apart with instanceof. */
export class UserAlreadyExistsError extends DomainError {
  constructor() {
    // One generic detail whichever field clashed, so registration does not reveal which accounts exist.
    super('USERS.ALREADY_EXISTS', 'username or email already registered');
  }
}

export const userNotFoundError = (): DomainError =>
  new DomainError('USERS.NOT_FOUND', 'No user has this id.');

/** Refusing the change on oneself means the last admin can never lock every admin out. */
export const selfLockoutError = (
  action: 'demote' | 'disable' | 'delete',
): DomainError =>
  new DomainError(
    'USERS.SELF_LOCKOUT',
    `An admin cannot ${action === 'demote' ? 'remove their own admin role' : `${action} their own account`}; ask another admin.`,
  );
