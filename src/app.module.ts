import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { RolesGuard } from './access/roles.guard';
import { StepUpGuard } from './access/step-up.guard';
import { CommonModule } from './common/common.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { createValidationPipe } from './common/validation';
import { parseEnv } from './config/env.schema';
import { mfaConfig } from './config/mfa.config';
import { DatabaseModule } from './database/database.module';
import { EmailModule } from './email/email.module';
import { FederationModule } from './federation/federation.module';
import { HealthModule } from './health/health.module';
import { KeysModule } from './keys/keys.module';
import { LoggingModule } from './logging/logging.module';
import { MailModule } from './mail/mail.module';
import { MetricsModule } from './metrics/metrics.module';
import { OAuthModule } from './oauth/oauth.module';
import { RedisModule } from './redis/redis.module';
import { SessionsModule } from './sessions/sessions.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      // Fails the start with one line naming each bad key.
      validate: (env) => {
        parseEnv(env as NodeJS.ProcessEnv);
        return env;
      },
    }),
    // StepUpGuard (below) reads STEP_UP_MAX_AGE.
    ConfigModule.forFeature(mfaConfig),
    // Services announce what happened; audit, metrics and sessions listen (src/events/domain-events.ts).
    EventEmitterModule.forRoot(),
    ScheduleModule.forRoot(),
    LoggingModule,
    CommonModule,
    DatabaseModule,
    MetricsModule,
    AuditModule,
    RedisModule,
    MailModule,
    UsersModule,
    SessionsModule,
    KeysModule,
    OAuthModule,
    EmailModule,
    AuthModule,
    FederationModule,
    HealthModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Order matters: authentication first, so request.user is set when roles are checked.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    // Last: a sensitive route checks how recent the sign-in is only for a caller already allowed in.
    { provide: APP_GUARD, useClass: StepUpGuard },
  ],
})
export class AppModule {}
