import { Param, ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from './validation';

/**
 * Validates a UUID path parameter and returns it in canonical (lower-case) form, so everything downstream —
 * self-protection checks, the revocation set, audit rows — compares one spelling. Clients do send upper case
 * (Apple's `UUID.uuidString`). A malformed id is the caller's mistake: 400 with the field named.
 */
export class CanonicalUuidPipe implements PipeTransform<
  string,
  Promise<string>
> {
  private readonly parse: ParseUUIDPipe;

  constructor(private readonly field: string) {
    this.parse = new ParseUUIDPipe({
      exceptionFactory: () =>
        new RequestValidationException([
          { field, message: `${field} must be a UUID` },
        ]),
    });
  }

  async transform(value: string): Promise<string> {
    return (await this.parse.transform(value, { type: 'param' })).toLowerCase();
  }
}

/** `@UuidParam()` for `:id`: a validated, lower-cased UUID. */
export const UuidParam = (name = 'id'): ParameterDecorator =>
  Param(name, new CanonicalUuidPipe(name));
