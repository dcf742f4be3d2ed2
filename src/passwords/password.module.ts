import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { passwordConfig } from 'src/config/password.config';
import { PasswordService } from './password.service';

/**
 * Password hashing on its own, so that both AuthModule (login, registration) and UsersModule (the first admin,
 * the CLI) can hash without UsersModule importing AuthModule, which already imports UsersModule.
 */
@Module({
  imports: [ConfigModule.forFeature(passwordConfig)],
  providers: [PasswordService],
  exports: [PasswordService],
})
export class PasswordModule {}
