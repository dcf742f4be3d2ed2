import { ConflictError, DomainError } from 'src/common/domain-error';

export class UserAlreadyExistsError extends ConflictError {
  constructor() {
    // One generic detail whichever field clashed, so registration does not reveal which accounts exist.
    super('USERS.ALREADY_EXISTS', 'username or email already registered');
  }
}

export class UserNotFoundError extends DomainError {
  readonly code = 'USERS.NOT_FOUND';
  readonly status = 404;
  readonly title = 'Not Found';
  constructor() {
    super('No user has this id.');
  }
}

export class SelfLockoutError extends ConflictError {
  constructor(action: 'demote' | 'disable' | 'delete') {
    // Refusing the change on oneself means the last admin can never lock every admin out.
    super(
      'USERS.SELF_LOCKOUT',
      `An admin cannot ${action === 'demote' ? 'remove their own admin role' : `${action} their own account`}; ask another admin.`,
    );
  }
}
