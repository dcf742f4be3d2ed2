import {
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { FieldErrorDto } from './problem-details';

/** A 400 carrying per-field errors; the problem filter copies them into `errors[]`. */
export class RequestValidationException extends BadRequestException {
  constructor(readonly fieldErrors: FieldErrorDto[]) {
    super('The request is invalid.');
  }
}

/**
 * Constraints that say the value is absent or of the wrong kind: when one fails it is the message worth showing
 * ("username is required"), not a length or pattern message that failed only because the value was missing.
 */
const BASIC_CONSTRAINTS = [
  'whitelistValidation',
  'isDefined',
  'isNotEmpty',
  'isString',
];

/** One message per field: the most basic failed constraint, else the first decorator written on the property. */
function firstMessage(constraints: Record<string, string>): string {
  const basic = BASIC_CONSTRAINTS.find((name) => name in constraints);
  // class-validator records decorators bottom-up, so the last key is the topmost decorator.
  const names = Object.keys(constraints);
  return constraints[basic ?? names[names.length - 1]];
}

function flatten(errors: ValidationError[], prefix = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own =
      error.constraints && Object.keys(error.constraints).length > 0
        ? [{ field, message: firstMessage(error.constraints) }]
        : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Never echo submitted values (they may be passwords) back in error messages.
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new RequestValidationException(flatten(errors)),
  });
}
