import { ValidateBy, ValidationOptions } from 'class-validator';

/** Absolute bounds on any password, in Unicode code points; PASSWORD_MIN_LENGTH can only raise the minimum. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function codePointLength(value: string): number {
  return [...value].length;
}

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
          typeof value === 'string' &&
          codePointLength(value) >= min &&
          codePointLength(value) <= max,
        defaultMessage: (args) =>
          `${args?.property} must be between ${min} and ${max} characters`,
      },
    },
    options,
  );
}
