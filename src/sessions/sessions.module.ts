import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { authConfig } from 'src/config/auth.config';
import { sessionConfig } from 'src/config/session.config';
import { KeysModule } from 'src/keys/keys.module';
import { RevocationModule } from 'src/revocation/revocation.module';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [
    ConfigModule.forFeature(sessionConfig),
    ConfigModule.forFeature(authConfig),
    KeysModule,
    RevocationModule,
  ],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
