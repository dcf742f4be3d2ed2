import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Patch,
  Query,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from 'src/access/current-user.decorator';
import { Roles } from 'src/access/roles.decorator';
import { StepUp } from 'src/access/step-up.decorator';
import type { Principal } from 'src/access/principal';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { UuidParam } from 'src/common/uuid-param';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserListResponseDto } from './dto/user-list-response.dto';
import { UserResponseDto } from './dto/user-response.dto';
import { Role } from 'src/access/role.enum';
import { UsersAdminService } from './users-admin.service';

@ApiTags('users')
@Roles(Role.Admin)
@ApiProblems(401, 403)
@Controller('users')
export class UsersController {
  constructor(private readonly admin: UsersAdminService) {}

  @Get()
  @ApiOperation({
    operationId: 'listUsers',
    summary: 'List users, oldest first; q filters by username or email prefix',
  })
  @ApiOkResponse({
    type: UserListResponseDto,
    description: 'One page of users',
  })
  @ApiProblems(400)
  async listUsers(
    @Query() query: ListUsersQueryDto,
  ): Promise<UserListResponseDto> {
    return UserListResponseDto.from(await this.admin.listUsers(query));
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getUser', summary: 'One user by id' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserResponseDto, description: 'The user' })
  @ApiProblems(400, 404)
  async getUser(@UuidParam() id: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.admin.getUser(id));
  }

  @Patch(':id')
  // Granting or removing roles (admin included) is the change an admin's stolen token would be used for.
  @StepUp({ when: (body) => body?.roles !== undefined })
  @ApiOperation({
    operationId: 'updateUser',
    summary:
      "Change a user's roles or disable them; their access tokens are voided at once",
    description:
      'Send at least one of `roles` and `disabled`. Disabling also ends every session of the user. ' +
      'An admin cannot remove their own admin role or disable themselves (409). ' +
      'Changing `roles` needs a sign-in within STEP_UP_MAX_AGE (step-up).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserResponseDto, description: 'The updated user' })
  @ApiProblems(400, 404, 409, 413, 415)
  async updateUser(
    @CurrentUser() actor: Principal,
    @UuidParam() id: string,
    @Body() body: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(
      await this.admin.updateUser(actor.userId, id, body),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteUser',
    summary: 'Delete a user; their sessions end and their tokens are refused',
    description:
      'The row is removed for good, with its sessions and refresh tokens. An admin cannot delete themselves (409).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 404, 409)
  deleteUser(
    @CurrentUser() actor: Principal,
    @UuidParam() id: string,
  ): Promise<void> {
    return this.admin.deleteUser(actor.userId, id);
  }
}
