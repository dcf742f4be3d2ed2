import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { tokensConfig } from 'src/config/tokens.config';
import { RevocationService } from './revocation.service';
import { RevocationsRepository } from './revocations.repository';

/** The revocation set: ended sessions and per-user token-version cut-offs, durable, shared over Redis. */
@Module({
  imports: [ConfigModule.forFeature(tokensConfig)],
  providers: [RevocationsRepository, RevocationService],
  exports: [RevocationService],
})
export class RevocationModule {}
