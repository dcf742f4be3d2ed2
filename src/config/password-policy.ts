/** Absolute bounds on any password, in Unicode code points; PASSWORD_MIN_LENGTH can only raise the minimum. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** Length in Unicode code points (an emoji counts once), checked before any hashing. */
export function passwordLength(password: string): number {
  return [...password].length;
}

/** Whether `password` is between `minLength` (PASSWORD_MIN_LENGTH, or 1 to accept any stored one) and `maxLength`. */
export function passwordLengthAllowed(
  password: string,
  minLength: number,
  maxLength = PASSWORD_MAX,
): boolean {
  const length = passwordLength(password);
  return length >= minLength && length <= maxLength;
}
