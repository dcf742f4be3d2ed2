import {
  Body,
  Controller,
  Delete,
  Header,
  HttpCode,
  Post,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from 'src/access/current-user.decorator';
import type { Principal } from 'src/access/principal';
import { Public } from 'src/access/public.decorator';
import { Role } from 'src/access/role.enum';
import { Roles } from 'src/access/roles.decorator';
import { StepUp } from 'src/access/step-up.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import {
  ClientContext,
  type RequestClient,
} from 'src/common/client-context.decorator';
import { UuidParam } from 'src/common/uuid-param';
import { userNotFoundError } from 'src/users/users.errors';
import { RateLimited } from 'src/throttling/rate-limited.decorator';
import {
  MfaTokenResponseDto,
  MfaVerifyDto,
  RecoveryCodesResponseDto,
  TotpCodeDto,
  TotpConfirmResponseDto,
  TotpSetupResponseDto,
} from './dto/mfa.dto';
import { MfaEnrolmentService } from './mfa-enrolment.service';
import { MfaLoginService } from './mfa-login.service';

/** A second factor (TOTP with recovery codes): enrolment, the login challenge, turning it off (docs/mfa.md). */
@ApiTags('mfa')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly enrolment: MfaEnrolmentService,
    private readonly login: MfaLoginService,
  ) {}

  @StepUp()
  @Post('totp/setup')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'setupTotp',
    summary: 'Start TOTP enrolment: a new secret, its otpauth URI and QR code',
    description:
      'The secret stays pending until POST /auth/mfa/totp/confirm; a new setup replaces a pending one. Needs a recent sign-in (step-up).',
  })
  @ApiOkResponse({ type: TotpSetupResponseDto })
  @ApiProblems(401, 409, 503)
  async setupTotp(
    @CurrentUser() user: Principal,
    @ClientContext() client: RequestClient,
  ): Promise<TotpSetupResponseDto> {
    const setup = await this.enrolment.setupTotp(user, client);
    return {
      secret: setup.secret,
      otpauth_uri: setup.otpauthUri,
      qr_png: setup.qrPng,
      qr_svg: setup.qrSvg,
    };
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'confirmTotp',
    summary: 'Turn TOTP on with a first code; answers the recovery codes, once',
    description:
      'Ends every other session of the user and voids their access tokens; this session continues with the access token in the answer (amr otp, mfa), or after a refresh.',
  })
  @ApiOkResponse({ type: TotpConfirmResponseDto })
  @ApiProblems(400, 401, 409)
  async confirmTotp(
    @CurrentUser() user: Principal,
    @Body() body: TotpCodeDto,
    @ClientContext() client: RequestClient,
  ): Promise<TotpConfirmResponseDto> {
    const enabled = await this.enrolment.confirmTotp(user, body.code, client);
    return { recovery_codes: enabled.recoveryCodes, access: enabled.access };
  }

  @StepUp()
  @Delete('totp')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'disableTotp',
    summary: 'Turn the second factor off (step-up)',
  })
  @ApiNoContentResponse({
    description: 'The second factor is off; its recovery codes are void',
  })
  @ApiProblems(401, 409)
  disableTotp(
    @CurrentUser() user: Principal,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.enrolment.disableTotp(user, client);
  }

  @StepUp()
  @Post('recovery-codes')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'regenerateRecoveryCodes',
    summary: 'Replace the recovery codes (step-up); the old ones stop working',
  })
  @ApiOkResponse({ type: RecoveryCodesResponseDto })
  @ApiProblems(401, 409)
  async regenerateRecoveryCodes(
    @CurrentUser() user: Principal,
    @ClientContext() client: RequestClient,
  ): Promise<RecoveryCodesResponseDto> {
    return {
      recovery_codes: await this.enrolment.regenerateRecoveryCodes(
        user,
        client,
      ),
    };
  }

  @Public()
  @RateLimited()
  @Post('verify')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'verifyMfa',
    summary: 'Finish a login with a second factor: the usual token pair',
    description:
      'With the `mfa_token` of the login answer and a code from the app or a recovery code. A challenge works once, for 5 minutes, and is destroyed after 5 wrong codes; wrong codes count toward the account lockout (429).',
  })
  @ApiOkResponse({ type: MfaTokenResponseDto })
  @ApiProblems(400, 401, 503)
  verifyMfa(
    @Body() body: MfaVerifyDto,
    @ClientContext() client: RequestClient,
  ): Promise<MfaTokenResponseDto> {
    return this.login.verifyChallenge(
      body.mfa_token,
      {
        code: body.code,
        recoveryCode: body.recovery_code,
        passkey: body.passkey && {
          ceremonyId: body.passkey.ceremony_id,
          response: body.passkey.response,
        },
      },
      client,
    );
  }
}

/** An admin's part: resetting the second factor of a user who lost it. */
@ApiTags('users')
@Roles(Role.Admin)
@Controller('users')
export class MfaAdminController {
  constructor(private readonly enrolment: MfaEnrolmentService) {}

  @Delete(':id/mfa')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'resetUserMfa',
    summary: "Reset a user's second factor (role admin); audited",
  })
  @ApiNoContentResponse({
    description:
      'The user signs in with the password alone until they enrol again',
  })
  @ApiProblems(400, 401, 403, 404)
  async resetUserMfa(
    @CurrentUser() actor: Principal,
    @UuidParam() id: string,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    if (!(await this.enrolment.resetFor(actor.userId, id, client)))
      throw userNotFoundError();
  }
}
