import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { loginAttemptsConfig } from 'src/config/login-attempts.config';
import { LoginAttemptsService } from './login-attempts.service';

/**
 * The per-account lockout: failed logins, wrong current passwords and wrong second-factor codes all count toward
 * one lock per account (docs/security.md#brute-force-protection).
 */
@Module({
  imports: [ConfigModule.forFeature(loginAttemptsConfig)],
  providers: [LoginAttemptsService],
  exports: [LoginAttemptsService],
})
export class LockoutModule {}
