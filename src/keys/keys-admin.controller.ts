import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from 'src/access/current-user.decorator';
import { Roles } from 'src/access/roles.decorator';
import type { Principal } from 'src/access/principal';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { Role } from 'src/access/role.enum';
import { RotateKeysDto } from './dto/rotate-keys.dto';
import { SigningKeyResponseDto } from './dto/signing-key-response.dto';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('keys')
@Roles(Role.Admin)
@Controller('admin/keys')
export class KeysAdminController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get()
  @ApiOperation({
    operationId: 'listSigningKeys',
    summary: 'Published signing keys and their timeline (admin)',
  })
  @ApiOkResponse({ type: [SigningKeyResponseDto] })
  @ApiProblems(401, 403)
  list(): SigningKeyResponseDto[] {
    return this.keys.statuses().map((s) => SigningKeyResponseDto.from(s));
  }

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateSigningKey',
    summary:
      'Rotate the signing key now (admin); answers with the key that takes over. With HS256 or JWT_PRIVATE_KEY: 409',
  })
  @ApiOkResponse({ type: SigningKeyResponseDto })
  @ApiProblems(400, 401, 403, 409)
  async rotate(
    @CurrentUser() user: Principal,
    @Body() body: RotateKeysDto,
  ): Promise<SigningKeyResponseDto> {
    return SigningKeyResponseDto.from(
      await this.keys.rotate(body.immediate ?? false, user.userId),
    );
  }
}
