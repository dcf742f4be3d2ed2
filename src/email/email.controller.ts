import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from 'src/access/current-user.decorator';
import type { Principal } from 'src/access/principal';
import { BearerOptional, Public } from 'src/access/public.decorator';
import { Role } from 'src/access/role.enum';
import { Roles } from 'src/access/roles.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import {
  ClientContext,
  type RequestClient,
} from 'src/common/client-context.decorator';
import { DomainValidationError } from 'src/common/domain-error';
import { UuidParam } from 'src/common/uuid-param';
import { RateLimited } from 'src/throttling/rate-limited.decorator';
import {
  AcceptedResponseDto,
  MAIL_ON_ITS_WAY,
} from './dto/accepted-response.dto';
import {
  EmailTokenDto,
  ForgotPasswordDto,
  ResetPasswordDto,
  SendVerificationDto,
} from './dto/email-requests.dto';
import { EmailChangeService } from './email-change.service';
import { EmailService } from './email.service';

/**
 * The routes a front end at APP_URL calls with the token from a mail link (`…#token=…`): only these POSTs spend
 * a token, so a mail scanner following the link spends nothing. Every route answers 404 with EMAIL_FEATURES=off.
 */
@ApiTags('email')
@Controller()
export class EmailController {
  constructor(
    private readonly email: EmailService,
    private readonly emailChange: EmailChangeService,
  ) {}

  @Public()
  @RateLimited()
  @Post('auth/password/forgot')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'forgotPassword',
    summary: 'Mail a password-reset link (same answer for every address)',
    description:
      'Always 202 with the same body, at once: whether the address has an account, is disabled or unverified is not told, and the mail is sent after the response. At most MAIL_PER_ADDRESS_MAX mails per address per MAIL_PER_ADDRESS_WINDOW.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiProblems(400, 404)
  forgotPassword(
    @Body() body: ForgotPasswordDto,
    @ClientContext() client: RequestClient,
  ): AcceptedResponseDto {
    this.email.requestPasswordReset(body.email, client);
    return AcceptedResponseDto.of(MAIL_ON_ITS_WAY);
  }

  @Public()
  @RateLimited()
  @Post('auth/password/reset')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'resetPassword',
    summary: 'Set a new password with the token from a reset mail',
    description:
      'The token works once, within PASSWORD_RESET_TTL. A new password the policy refuses leaves the token usable. Afterwards every session of the user has ended, other pending links are void, the lockout is lifted and the address counts as verified.',
  })
  @ApiNoContentResponse({ description: 'Password set; sign in with it' })
  @ApiProblems(400, 404, 503)
  resetPassword(
    @Body() body: ResetPasswordDto,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.email.resetPassword(body.token, body.new_password, client);
  }

  @BearerOptional()
  @RateLimited()
  @Post('auth/email/verify/send')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'sendVerificationEmail',
    summary: 'Mail an email-verification link',
    description:
      'With a bearer token: to the signed-in user. Without one: to `email`, with the same answer whether or not it has an account (or is verified already).',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiProblems(400, 404)
  sendVerification(
    @CurrentUser() user: Principal | undefined,
    @Body() body: SendVerificationDto,
  ): AcceptedResponseDto {
    if (user) this.email.requestVerificationFor(user.userId);
    else if (body.email) this.email.requestVerification(body.email);
    else
      throw new DomainValidationError(
        'email',
        'email is required without a bearer token',
      );
    return AcceptedResponseDto.of(MAIL_ON_ITS_WAY);
  }

  @Public()
  @RateLimited()
  @Post('auth/email/verify')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'verifyEmail',
    summary:
      'Confirm the email address with the token from a verification mail',
  })
  @ApiNoContentResponse({ description: 'The address is verified' })
  @ApiProblems(400, 404)
  verifyEmail(
    @Body() body: EmailTokenDto,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.email.verifyEmail(body.token, client);
  }

  @Public()
  @RateLimited()
  @Post('auth/email/change/confirm')
  @HttpCode(204)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'confirmEmailChange',
    summary: 'Apply an email change with the token sent to the new address',
    description:
      'Public, so the link works on a device that is not signed in. 409 when another account took the address meanwhile (the token stays unspent).',
  })
  @ApiNoContentResponse({ description: 'The account has the new address' })
  @ApiProblems(400, 404, 409)
  confirmEmailChange(
    @Body() body: EmailTokenDto,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.emailChange.confirmEmailChange(body.token, client);
  }
}

/** An admin's part in recovery: sending a reset link on a user's behalf. */
@ApiTags('users')
@Roles(Role.Admin)
@Controller('users')
export class EmailAdminController {
  constructor(private readonly email: EmailService) {}

  @Post(':id/password-reset')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'sendPasswordReset',
    summary: 'Mail a password-reset link to a user (role admin)',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiProblems(400, 401, 403, 404)
  async sendPasswordReset(
    @CurrentUser() actor: Principal,
    @UuidParam() id: string,
    @ClientContext() client: RequestClient,
  ): Promise<AcceptedResponseDto> {
    await this.email.sendPasswordResetFor(actor.userId, id, client);
    return AcceptedResponseDto.of('A reset link is on its way to the user.');
  }
}
