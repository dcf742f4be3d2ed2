import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { authConfig } from 'src/config/auth.config';
import { AccessTokenService } from './access-token.service';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [ConfigModule.forFeature(authConfig), JwtModule.register({})],
  providers: [SigningKeysService, AccessTokenService],
  exports: [SigningKeysService, AccessTokenService],
})
export class KeysModule {}
