import { DomainValidationError } from 'src/common/domain-error';
import { passwordLengthAllowed } from 'src/config/password-policy';

/** Refuses a new password the policy does not allow, as a 400 on `field`; called before anything is hashed. */
export function checkPasswordPolicy(
  field: string,
  password: string,
  minLength: number,
): void {
  if (!passwordLengthAllowed(password, minLength))
    throw new DomainValidationError(
      field,
      `${field} must be at least ${minLength} characters`,
    );
}
