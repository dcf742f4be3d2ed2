import { ConflictError } from 'src/common/domain-error';

export class UserAlreadyExistsError extends ConflictError {
  constructor() {
    // One generic detail whichever field clashed, so registration does not reveal which accounts exist.
    super('USERS.ALREADY_EXISTS', 'username or email already registered');
  }
}
