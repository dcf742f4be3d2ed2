import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { PasswordModule } from 'src/passwords/password.module';
import { RevocationModule } from 'src/revocation/revocation.module';
import { firstAdminConfig } from 'src/config/first-admin.config';
import { FirstAdminService } from './first-admin.service';
import { UserProfileCache } from './user-profile.cache';
import { UsersAdminService } from './users-admin.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [
    ConfigModule.forFeature(firstAdminConfig),
    PasswordModule,
    RevocationModule,
  ],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    UsersService,
    UserProfileCache,
    UsersAdminService,
    FirstAdminService,
  ],
  exports: [UsersService, FirstAdminService],
})
export class UsersModule {}
