import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEnum,
  IsOptional,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { Role } from 'src/access/role.enum';

const CHANGEABLE = ['roles', 'disabled', 'email_verified'] as const;

/** Fails when the body carries none of the fields, so an empty PATCH is a 400 rather than a silent no-op. */
function RequiresOneOf(fields: readonly string[]): PropertyDecorator {
  return ValidateBy({
    name: 'requiresOneOf',
    validator: {
      validate: (_value, args) =>
        fields.some(
          (field) =>
            (args?.object as Record<string, unknown>)[field] !== undefined,
        ),
      defaultMessage: () => `at least one of ${fields.join(', ')} is required`,
    },
  });
}

export class UpdateUserDto {
  @ApiPropertyOptional({
    enum: Role,
    isArray: true,
    minItems: 1,
    uniqueItems: true,
    example: ['user', 'admin'],
    description: "Replaces the user's roles; their access tokens are voided.",
  })
  // Checked even when absent if `disabled` is absent too, to report the empty body.
  @ValidateIf(
    (dto: UpdateUserDto) =>
      dto.roles !== undefined ||
      (dto.disabled === undefined && dto.email_verified === undefined),
  )
  @RequiresOneOf(CHANGEABLE)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsEnum(Role, {
    each: true,
    message: `each role must be one of: ${Object.values(Role).join(', ')}`,
  })
  roles?: Role[];

  @ApiPropertyOptional({
    example: true,
    description:
      'true ends every session of the user and voids their access tokens.',
  })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({
    example: true,
    description:
      'Marks the email address as verified (true) or not (false), e.g. after checking it another way.',
  })
  @IsOptional()
  @IsBoolean()
  email_verified?: boolean;
}
