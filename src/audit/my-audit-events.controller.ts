import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from 'src/access/current-user.decorator';
import type { Principal } from 'src/access/principal';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { AuditQueryService } from './audit-query.service';
import { AuditEventPageResponseDto } from './dto/audit-event-response.dto';
import { ListMyAuditEventsQueryDto } from './dto/list-audit-events-query.dto';

@ApiTags('auth')
@ApiProblems(401)
@Controller('auth/me/events')
export class MyAuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @ApiOperation({
    operationId: 'listMyEvents',
    summary:
      "The caller's own security events (logins, logouts, password changes…), newest first",
  })
  @ApiOkResponse({ type: AuditEventPageResponseDto })
  @ApiProblems(400)
  async listMyEvents(
    @CurrentUser() user: Principal,
    @Query() query: ListMyAuditEventsQueryDto,
  ): Promise<AuditEventPageResponseDto> {
    return AuditEventPageResponseDto.from(
      await this.audit.listOwnEvents(user.userId, query),
    );
  }
}
