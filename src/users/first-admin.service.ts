import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from 'src/audit/audit.service';
import { PasswordService } from 'src/passwords/password.service';
import { firstAdminConfig } from 'src/config/first-admin.config';
import { Role } from 'src/access/role.enum';
import type { User } from './user';
import { UserAlreadyExistsError } from './users.errors';
import { UsersRepository } from './users.repository';

/** An admin is also a user, so routes for role user admit them too. */
const ADMIN_ROLES = [Role.User, Role.Admin];

export interface NewAdmin {
  username: string;
  email: string;
  password: string;
}

/**
 * Creates the first admin from ADMIN_USERNAME, ADMIN_EMAIL and ADMIN_PASSWORD when no admin exists yet, and admins
 * for the `create-admin` CLI. Once any admin exists, the ADMIN_* values are ignored: a later start never changes,
 * re-creates or promotes an account. The password is never logged.
 */
@Injectable()
export class FirstAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(FirstAdminService.name);

  constructor(
    private readonly repository: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
    @Inject(firstAdminConfig.KEY)
    private readonly config: ConfigType<typeof firstAdminConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { username, email, password } = this.config;
    if (!username || !email || !password) return;
    await this.ensureFirstAdmin({ username, email, password });
  }

  /** Returns the admin it created, or undefined when an admin already existed or the name was taken. */
  async ensureFirstAdmin(input: NewAdmin): Promise<User | undefined> {
    // Cheap check first: every later start ends here without hashing anything.
    if (await this.repository.existsWithRole(Role.Admin)) {
      this.logger.log('an admin exists; ADMIN_* ignored');
      return undefined;
    }
    const passwordHash = await this.passwords.hash(input.password);
    try {
      const admin = await this.repository.createIfNoneHasRole(
        {
          username: input.username,
          email: input.email,
          passwordHash,
          roles: ADMIN_ROLES,
        },
        Role.Admin,
      );
      if (admin) this.recordCreated(admin, 'env');
      else this.logger.log('another instance created the first admin');
      return admin;
    } catch (error) {
      if (!(error instanceof UserAlreadyExistsError)) throw error;
      // Never promote the existing holder of the name: whoever registered it chose its password.
      this.logger.warn(
        'ADMIN_USERNAME or ADMIN_EMAIL belongs to an existing non-admin account; no admin was created',
      );
      return undefined;
    }
  }

  /** Creates an admin (who is also a user); throws UserAlreadyExistsError when the username or email is taken. */
  async createAdmin(input: NewAdmin): Promise<User> {
    const admin = await this.repository.create({
      username: input.username,
      email: input.email,
      passwordHash: await this.passwords.hash(input.password),
      roles: ADMIN_ROLES,
    });
    this.recordCreated(admin, 'cli');
    return admin;
  }

  private recordCreated(admin: User, source: 'env' | 'cli'): void {
    this.audit.record({
      type: 'user_created',
      userId: admin.id,
      details: { roles: admin.roles, source },
    });
    this.logger.log({
      event: 'admin_created',
      userId: admin.id,
      username: admin.username,
      source,
    });
  }
}
