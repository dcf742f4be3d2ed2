import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import type { Database } from './database.types';

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  close: () => Promise<void>;
}

@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);

  constructor(private readonly handle: DatabaseHandle) {}

  get db(): Database {
    return this.handle.db;
  }

  get kind(): DatabaseHandle['kind'] {
    return this.handle.kind;
  }

  async ping(): Promise<void> {
    await this.handle.db.execute(sql`select 1`);
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.handle.close();
    } catch (error) {
      this.logger.warn(
        `closing the database failed: ${(error as Error).message}`,
      );
    }
  }
}
