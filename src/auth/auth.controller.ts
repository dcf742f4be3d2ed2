import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiExtraModels,
  getSchemaPath,
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from 'src/common/api-problems.decorator';
import {
  ClientContext,
  type RequestClient,
} from 'src/common/client-context.decorator';
import { RateLimited } from 'src/throttling/rate-limited.decorator';
import { UserResponseDto } from 'src/users/dto/user-response.dto';
import { AccountService } from './account.service';
import { AuthService } from './auth.service';
import { CurrentUser } from 'src/access/current-user.decorator';
import { Public } from 'src/access/public.decorator';
import { StepUp } from 'src/access/step-up.decorator';
import { ChangePasswordDto } from './dto/change-password.dto';
import {
  AcceptedResponseDto,
  MAIL_ON_ITS_WAY,
} from 'src/email/dto/accepted-response.dto';
import { ChangeEmailDto } from 'src/email/dto/email-requests.dto';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import {
  AccessTokenResponseDto,
  TokenResponseDto,
} from 'src/sessions/dto/token-response.dto';
import { MfaChallengeResponseDto } from 'src/mfa/dto/mfa.dto';
import { ReauthenticateDto } from './dto/reauthenticate.dto';
import type { Principal } from 'src/access/principal';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly account: AccountService,
  ) {}

  @Public()
  @RateLimited()
  @Post('register')
  @ApiOperation({
    operationId: 'register',
    summary: 'Create an account (role user)',
    description:
      'With AUTH_EMAIL_VERIFICATION=required: 202 with the same body for a new and a taken address (the owner of a taken one gets a mail instead), and the account can sign in once the address is verified.',
  })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiAcceptedResponse({
    type: AcceptedResponseDto,
    description: 'AUTH_EMAIL_VERIFICATION=required: check your mail',
  })
  @ApiProblems(400, 403, 409, 413, 415, 503)
  async register(
    @Body() body: RegisterDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto | AcceptedResponseDto> {
    const user = await this.auth.register(body);
    if (user) return UserResponseDto.from(user);
    reply.status(202);
    return AcceptedResponseDto.of(MAIL_ON_ITS_WAY);
  }

  @Public()
  @RateLimited()
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'login',
    summary: 'Exchange username (or email) and password for a token pair',
  })
  @ApiExtraModels(TokenResponseDto, MfaChallengeResponseDto)
  @ApiOkResponse({
    description:
      'The token pair; or, for an account with a second factor, a challenge to finish at POST /auth/mfa/verify (no tokens).',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(TokenResponseDto) },
        { $ref: getSchemaPath(MfaChallengeResponseDto) },
      ],
    },
  })
  @ApiProblems(400, 401, 403, 413, 415, 503)
  login(
    @Body() body: LoginDto,
    @ClientContext() client: RequestClient,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    return this.auth.login(body, client);
  }

  @Public()
  @RateLimited()
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'refreshTokens',
    summary: 'Rotate a refresh token for a new token pair',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 415)
  refresh(
    @Body() body: RefreshTokenDto,
    @ClientContext() client: RequestClient,
  ): Promise<TokenResponseDto> {
    return this.auth.refresh(body.refresh_token, client);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ operationId: 'logout', summary: 'End the current session' })
  @ApiNoContentResponse({
    description:
      'The session ended; its refresh and access tokens are refused from now on',
  })
  @ApiProblems(401)
  logout(
    @CurrentUser() user: Principal,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.auth.logout(user, client);
  }

  @Get('me')
  @ApiOperation({ operationId: 'getMe', summary: 'The authenticated user' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(401)
  async me(@CurrentUser() user: Principal): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.auth.me(user));
  }

  // A login attempt in all but name: limited per address like login, and counted toward the account's lockout.
  @RateLimited()
  @Post('password')
  @StepUp()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change the password; ends every other session',
  })
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiProblems(400, 401, 403, 503)
  changePassword(
    @CurrentUser() user: Principal,
    @Body() body: ChangePasswordDto,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.account.changePassword(
      user,
      body.current_password,
      body.new_password,
      client,
    );
  }

  // Counted toward the account's lockout like a login, for the same reason as a password change.
  @RateLimited()
  @Post('email')
  @StepUp()
  @HttpCode(202)
  @ApiOperation({
    operationId: 'changeEmail',
    summary: 'Ask to change the email address (confirmed from the new one)',
    description:
      'Checks the current password, mails a link to the new address and a notice to the current one. The address changes only when the link is used (POST /auth/email/change/confirm); pending reset links are void afterwards.',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiProblems(400, 401, 403, 404, 409, 503)
  async changeEmail(
    @CurrentUser() user: Principal,
    @Body() body: ChangeEmailDto,
    @ClientContext() client: RequestClient,
  ): Promise<AcceptedResponseDto> {
    await this.account.requestEmailChange(
      user,
      body.new_email,
      body.current_password,
      client,
    );
    return AcceptedResponseDto.of(
      'A confirmation link is on its way to the new address.',
    );
  }

  @RateLimited()
  @Post('reauthenticate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'reauthenticate',
    summary:
      'Sign in again within the session, for step-up: a fresh access token',
    description:
      'The password (checked like a login attempt) and, for an account with a second factor, `code` or `recovery_code`. Answers a new access token for the same session with a new `auth_time` (and `amr`); the refresh token is unchanged, and refreshes keep the new values.',
  })
  @ApiOkResponse({ type: AccessTokenResponseDto })
  @ApiProblems(400, 401, 403, 503)
  reauthenticate(
    @CurrentUser() user: Principal,
    @Body() body: ReauthenticateDto,
    @ClientContext() client: RequestClient,
  ): Promise<AccessTokenResponseDto> {
    return this.account.reauthenticate(
      user,
      body.password,
      { code: body.code, recoveryCode: body.recovery_code },
      client,
    );
  }
}
