import { ApiProperty } from '@nestjs/swagger';

/** The one answer of the routes that must not tell whether an address has an account. */
export class AcceptedResponseDto {
  @ApiProperty({ example: 'accepted', enum: ['accepted'] })
  status: 'accepted';

  @ApiProperty({
    example: 'If the address belongs to an account, a mail is on its way.',
  })
  detail: string;

  static of(detail: string): AcceptedResponseDto {
    return { status: 'accepted', detail };
  }
}

export const MAIL_ON_ITS_WAY =
  'If the address belongs to an account, a mail is on its way.';
