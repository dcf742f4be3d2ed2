import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from 'src/access/current-user.decorator';
import type { Principal } from 'src/access/principal';
import { ApiProblems } from 'src/common/api-problems.decorator';
import {
  ClientContext,
  type RequestClient,
} from 'src/common/client-context.decorator';
import { UuidParam } from 'src/common/uuid-param';
import { SessionResponseDto } from './dto/session-response.dto';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiProblems(401)
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listSessions',
    summary: "The caller's live sessions",
  })
  @ApiOkResponse({ type: [SessionResponseDto] })
  async listSessions(
    @CurrentUser() user: Principal,
  ): Promise<SessionResponseDto[]> {
    return (await this.sessions.listSessions(user.userId)).map((s) =>
      SessionResponseDto.from(s, user.sessionId),
    );
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeOtherSessions',
    summary: 'End every session of the caller except the current one',
  })
  @ApiNoContentResponse({ description: 'The other sessions ended' })
  async revokeOtherSessions(@CurrentUser() user: Principal): Promise<void> {
    await this.sessions.logoutAll(user.userId, user.sessionId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeSession',
    summary: 'End one of the caller’s sessions',
  })
  @ApiNoContentResponse({
    description:
      'The session ended; its refresh and access tokens are refused from now on',
  })
  @ApiProblems(400, 404)
  revokeSession(
    @CurrentUser() user: Principal,
    @UuidParam() id: string,
    @ClientContext() client: RequestClient,
  ): Promise<void> {
    return this.sessions.revokeSession(user.userId, id, client);
  }
}
