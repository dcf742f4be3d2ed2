import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Patch,
  Post,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
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
import { TokenResponseDto } from 'src/sessions/dto/token-response.dto';
import { RateLimited } from 'src/throttling/rate-limited.decorator';
import {
  PasskeyAssertionDto,
  PasskeyListResponseDto,
  PasskeyNameDto,
  PasskeyOptionsResponseDto,
  PasskeyResponseDto,
  PasskeyUsernameDto,
  RegisterPasskeyDto,
} from './dto/passkeys.dto';
import { PasskeyRegistrationService } from './passkey-registration.service';
import { PasskeysService } from './passkeys.service';

/** Passkeys (WebAuthn): the server side of registration and sign-in; the front end calls navigator.credentials (docs/passkeys.md). */
@ApiTags('passkeys')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly registration: PasskeyRegistrationService,
  ) {}

  @StepUp()
  @Post('register/options')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'passkeyRegistrationOptions',
    summary:
      'Start registering a passkey (step-up): creation options and a ceremony id',
  })
  @ApiOkResponse({ type: PasskeyOptionsResponseDto })
  @ApiProblems(401, 404)
  async registrationOptions(
    @CurrentUser() user: Principal,
  ): Promise<PasskeyOptionsResponseDto> {
    const ceremony = await this.registration.registrationOptions(user);
    return {
      ceremony_id: ceremony.ceremonyId,
      options: { ...ceremony.options },
    };
  }

  @Post('register')
  @ApiOperation({
    operationId: 'registerPasskey',
    summary:
      'Finish registering: the authenticator’s response is verified and the passkey stored',
  })
  @ApiCreatedResponse({ type: PasskeyResponseDto })
  @ApiProblems(400, 401, 404, 409)
  async register(
    @CurrentUser() user: Principal,
    @Body() body: RegisterPasskeyDto,
    @ClientContext() client: RequestClient,
  ): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(
      await this.registration.register(
        user,
        body.ceremony_id,
        body.response,
        body.name,
        client,
      ),
    );
  }

  @Get()
  @ApiOperation({
    operationId: 'listPasskeys',
    summary: 'The caller’s passkeys',
  })
  @ApiOkResponse({ type: PasskeyListResponseDto })
  @ApiProblems(401, 404)
  async list(@CurrentUser() user: Principal): Promise<PasskeyListResponseDto> {
    return {
      items: (await this.registration.list(user.userId)).map((p) =>
        PasskeyResponseDto.from(p),
      ),
    };
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'renamePasskey',
    summary: 'Rename one of the caller’s passkeys',
  })
  @ApiOkResponse({ type: PasskeyResponseDto })
  @ApiProblems(400, 401, 404)
  async rename(
    @CurrentUser() user: Principal,
    @UuidParam() id: string,
    @Body() body: PasskeyNameDto,
    @ClientContext() client: RequestClient,
  ): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(
      await this.registration.rename(user.userId, id, body.name, client),
    );
  }

  @StepUp()
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deletePasskey',
    summary: 'Delete one of the caller’s passkeys (step-up)',
  })
  @ApiNoContentResponse({
    description: 'Deleted; its next assertion is refused',
  })
  @ApiProblems(400, 401, 404)
  delete(
    @CurrentUser() user: Principal,
    @UuidParam() id: string,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.registration.delete(user.userId, id, client);
  }

  @Public()
  @RateLimited()
  @Post('login/options')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'passkeyLoginOptions',
    summary:
      'Start a passkey sign-in: request options and a ceremony id (usernameless without a username)',
  })
  @ApiOkResponse({ type: PasskeyOptionsResponseDto })
  @ApiProblems(400, 404)
  async loginOptions(
    @Body() body: PasskeyUsernameDto,
  ): Promise<PasskeyOptionsResponseDto> {
    const ceremony = await this.passkeys.loginOptions(body.username);
    return {
      ceremony_id: ceremony.ceremonyId,
      options: { ...ceremony.options },
    };
  }

  @Public()
  @RateLimited()
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    operationId: 'passkeyLogin',
    summary:
      'Sign in with a passkey: the usual token pair (amr hwk, user, mfa)',
    description:
      'Any failure (unknown credential, disabled user, wrong origin or RP ID, bad signature, a counter that went back, an expired or reused ceremony) is the same 401.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 404)
  login(
    @Body() body: PasskeyAssertionDto,
    @ClientContext() client: RequestClient,
  ): Promise<TokenResponseDto> {
    return this.passkeys.login(body.ceremony_id, body.response, client);
  }
}

/** An admin sees a user's passkeys and can delete them (a lost or compromised device). */
@ApiTags('users')
@Roles(Role.Admin)
@Controller('users')
export class PasskeysAdminController {
  constructor(private readonly registration: PasskeyRegistrationService) {}

  @Get(':id/passkeys')
  @ApiOperation({
    operationId: 'listUserPasskeys',
    summary: "A user's passkeys (role admin)",
  })
  @ApiOkResponse({ type: PasskeyListResponseDto })
  @ApiProblems(400, 401, 403, 404)
  async list(@UuidParam() id: string): Promise<PasskeyListResponseDto> {
    return {
      items: (await this.registration.list(id)).map((p) =>
        PasskeyResponseDto.from(p),
      ),
    };
  }

  @Delete(':id/passkeys/:passkeyId')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteUserPasskey',
    summary: "Delete a user's passkey (role admin); audited",
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404)
  delete(
    @CurrentUser() actor: Principal,
    @UuidParam() id: string,
    @UuidParam('passkeyId') passkeyId: string,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.registration.delete(id, passkeyId, client, actor.userId);
  }
}
