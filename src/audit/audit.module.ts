import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditAdminController } from './audit-admin.controller';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditListener } from './audit.listener';
import { FederationAuditListener } from './federation-audit.listener';
import { MfaAuditListener } from './mfa-audit.listener';
import { AuditQueryService } from './audit-query.service';
import { auditConfig } from 'src/config/audit.config';
import { AuditService } from './audit.service';
import { MyAuditEventsController } from './my-audit-events.controller';

/**
 * Features announce domain events and AuditListener records them. Global for the one writer that runs before the
 * listeners are attached: the first admin, created at boot or from the CLI, is recorded through AuditService.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(auditConfig)],
  controllers: [AuditAdminController, MyAuditEventsController],
  providers: [
    AuditEventsRepository,
    AuditService,
    AuditQueryService,
    AuditListener,
    MfaAuditListener,
    FederationAuditListener,
  ],
  exports: [AuditService],
})
export class AuditModule {}
