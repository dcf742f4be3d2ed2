import { ValidateBy, ValidationOptions } from 'class-validator';
import { passwordLengthAllowed } from 'src/config/password-policy';

/** Length in Unicode code points (an emoji counts once), checked before any hashing. */
export function IsPasswordLength(
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPasswordLength',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && passwordLengthAllowed(value, min, max),
        defaultMessage: (args) =>
          `${args?.property} must be between ${min} and ${max} characters`,
      },
    },
    options,
  );
}
