import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { databaseConfig } from 'src/config/database.config';
import { openDatabase } from './database.factory';
import { DatabaseService } from './database.service';
import { DRIZZLE } from './database.types';

@Global()
@Module({
  imports: [ConfigModule.forFeature(databaseConfig)],
  providers: [
    {
      provide: DatabaseService,
      inject: [databaseConfig.KEY],
      useFactory: async (config: ConfigType<typeof databaseConfig>) =>
        new DatabaseService(await openDatabase(config)),
    },
    {
      provide: DRIZZLE,
      inject: [DatabaseService],
      useFactory: (database: DatabaseService) => database.db,
    },
  ],
  exports: [DatabaseService, DRIZZLE],
})
export class DatabaseModule {}
