import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { sessionConfig } from 'src/config/session.config';
import { KeysModule } from 'src/keys/keys.module';
import { RevocationModule } from 'src/revocation/revocation.module';
import { RefreshRotationService } from './refresh-rotation.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionPurgeService } from './session-purge.service';
import { SessionsController } from './sessions.controller';
import { SessionsListener } from './sessions.listener';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { TokenPairIssuer } from './token-pair.issuer';

@Module({
  imports: [
    ConfigModule.forFeature(sessionConfig),
    KeysModule,
    RevocationModule,
  ],
  controllers: [SessionsController],
  providers: [
    SessionsRepository,
    RefreshTokensRepository,
    TokenPairIssuer,
    SessionsService,
    RefreshRotationService,
    SessionPurgeService,
    SessionsListener,
  ],
  exports: [SessionsService, RefreshRotationService, SessionPurgeService],
})
export class SessionsModule {}
