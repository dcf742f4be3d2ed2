import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  IsEmail,
  IsNotEmpty,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

/** An email address as every email route takes it: one line (no CR/LF can reach a mail header), at most 254 characters. */
export function EmailAddress(field: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      example: 'ada@example.com',
      maxLength: 254,
      format: 'email',
    }),
    IsString(),
    IsNotEmpty({ message: `${field} is required` }),
    MaxLength(254),
    Matches(/^[^\r\n]*$/, { message: `${field} must be one line` }),
    IsEmail({}, { message: `${field} must be a valid email address` }),
  );
}

/** A token from a mail link. The length is bounded here; its form is checked by the service like any bad token. */
export function MailToken(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      description:
        'The token from the link (the part after `#token=`): 43 base64url characters.',
      example: 'q3v0cYc5o2m2d7s0Vv7c3lQ0m1J9mVbqQxq6l8Cq0cU',
      maxLength: 128,
    }),
    IsString(),
    IsNotEmpty({ message: 'token is required' }),
    MaxLength(128),
  );
}
