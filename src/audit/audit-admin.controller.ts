import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from 'src/access/roles.decorator';
import { ApiProblems } from 'src/common/api-problems.decorator';
import { Role } from 'src/access/role.enum';
import { AuditQueryService } from './audit-query.service';
import { AuditEventPageResponseDto } from './dto/audit-event-response.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events-query.dto';

@ApiTags('audit')
@Roles(Role.Admin)
@ApiProblems(401, 403)
@Controller('admin/audit-events')
export class AuditAdminController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary: 'The audit trail, newest first, filtered by user and type',
  })
  @ApiOkResponse({ type: AuditEventPageResponseDto })
  @ApiProblems(400)
  async listAuditEvents(
    @Query() query: ListAuditEventsQueryDto,
  ): Promise<AuditEventPageResponseDto> {
    return AuditEventPageResponseDto.from(
      await this.audit.listEvents({ ...query, userId: query.user_id }),
    );
  }
}
