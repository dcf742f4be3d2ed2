import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditAdminController } from './audit-admin.controller';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditQueryService } from './audit-query.service';
import { auditConfig } from './audit.config';
import { AuditService } from './audit.service';
import { MyAuditEventsController } from './my-audit-events.controller';

/** Global so every feature can record() events without importing this module (and without a cycle). */
@Global()
@Module({
  imports: [ConfigModule.forFeature(auditConfig)],
  controllers: [AuditAdminController, MyAuditEventsController],
  providers: [AuditEventsRepository, AuditService, AuditQueryService],
  exports: [AuditService],
})
export class AuditModule {}
