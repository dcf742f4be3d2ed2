import { Inject, Injectable } from '@nestjs/common';
import { asc, count, eq, ilike, or, sql } from 'drizzle-orm';
import { isUniqueViolation } from 'src/common/pg-errors';
import { DRIZZLE, type Database } from 'src/database/database.types';
import { users, type UserRow } from 'src/database/schema';
import type { Role } from 'src/access/role.enum';
import type { User, UserCredentials } from './user';
import { UserAlreadyExistsError } from './users.errors';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    roles: row.roles as Role[],
    disabled: row.disabled,
    emailVerified: row.emailVerifiedAt !== null,
    mfaEnabled: row.totpEnabledAt !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface NewUser {
  username: string;
  email: string | null;
  passwordHash: string | null;
  roles?: Role[];
  /** Set when the address is known to be the user's already (a provider vouched for it). */
  emailVerifiedAt?: Date | null;
}

export interface UserChanges {
  roles?: Role[];
  disabled?: boolean;
  emailVerified?: boolean;
  passwordHash?: string;
}

const sameRoles = (a: string[], b: string[]): boolean =>
  a.length === b.length && a.every((role) => b.includes(role));

/** Any constant works; it only has to be the same for every Gatehouse instance sharing one database. */
const ROLE_BOOTSTRAP_LOCK_ID = 7_402_118_552;

/** LIKE wildcards in a user's search text are literal characters. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The credentials read behind every login, built once (see the constructor). */
function credentialsByLoginQuery(db: Database) {
  const login = sql.placeholder('login');
  return db
    .select()
    .from(users)
    .where(
      or(
        sql`lower(${users.username}) = ${login}`,
        sql`lower(${users.email}) = ${login}`,
      ),
    )
    .limit(1)
    .prepare('users_credentials_by_login');
}

@Injectable()
export class UsersRepository {
  /**
   * Login's lookup as a prepared query: drizzle builds its SQL once instead of on every login (building it was 12%
   * of a login's event-loop time with the hash stubbed out), and PostgreSQL parses the named statement once per
   * connection (issue 7).
   */
  private readonly credentialsByLogin: ReturnType<
    typeof credentialsByLoginQuery
  >;

  constructor(@Inject(DRIZZLE) private readonly db: Database) {
    this.credentialsByLogin = credentialsByLoginQuery(db);
  }

  async create(input: NewUser): Promise<User> {
    try {
      const [row] = await this.db
        .insert(users)
        .values({ ...input, roles: input.roles ?? undefined })
        .returning();
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new UserAlreadyExistsError();
      throw error;
    }
  }

  /**
   * Creates the user only if nobody holds `role` yet. The check and the insert run under one advisory lock, so
   * instances starting at the same moment (even with different ADMIN_* values) create one admin between them.
   */
  async createIfNoneHasRole(
    input: NewUser,
    role: Role,
  ): Promise<User | undefined> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.execute(
          sql`select pg_advisory_xact_lock(${ROLE_BOOTSTRAP_LOCK_ID})`,
        );
        const holders = await tx
          .select({ id: users.id })
          .from(users)
          .where(sql`${role} = any(${users.roles})`)
          .limit(1);
        if (holders.length > 0) return undefined;
        const [row] = await tx.insert(users).values(input).returning();
        return toUser(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UserAlreadyExistsError();
      throw error;
    }
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(eq(users.id, id))
      .limit(1);
    return row && toUser(row);
  }

  /** Login accepts the username or the email, both case-insensitively. */
  async findCredentialsByLogin(
    login: string,
  ): Promise<UserCredentials | undefined> {
    const [row] = await this.credentialsByLogin.execute({
      login: login.toLowerCase(),
    });
    return row && { user: toUser(row), passwordHash: row.passwordHash };
  }

  /** Case-insensitive, like the unique index on lower(email). */
  async findByEmail(email: string): Promise<User | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = ${email.toLowerCase()}`)
      .limit(1);
    return row && toUser(row);
  }

  async findCredentialsById(id: string): Promise<UserCredentials | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(eq(users.id, id))
      .limit(1);
    return row && { user: toUser(row), passwordHash: row.passwordHash };
  }

  async list(query: {
    limit: number;
    offset: number;
    q?: string;
  }): Promise<{ items: User[]; total: number }> {
    const filter = query.q
      ? or(
          ilike(users.username, `${escapeLike(query.q)}%`),
          ilike(users.email, `${escapeLike(query.q)}%`),
        )
      : undefined;
    const [rows, [{ total }]] = await Promise.all([
      this.db
        .select()
        .from(users)
        .where(filter)
        .orderBy(asc(users.createdAt), asc(users.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ total: count() }).from(users).where(filter),
    ]);
    return { items: rows.map(toUser), total: Number(total) };
  }

  async update(
    id: string,
    changes: Pick<UserChanges, 'passwordHash'>,
  ): Promise<User | undefined> {
    const [row] = await this.db
      .update(users)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    return row && toUser(row);
  }

  /**
   * Changes roles and/or the disabled flag under a row lock, raising the token version when the roles change or
   * the account becomes disabled, decided against the row as locked (not an earlier read), so two admins racing
   * cannot leave a change without its version step. Returns the row before and after, and the version after.
   */
  async updateStanding(
    id: string,
    changes: Pick<UserChanges, 'roles' | 'disabled' | 'emailVerified'>,
    now: Date,
  ): Promise<{ before: User; after: User; tokenVersion: number } | undefined> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx
        .select()
        .from(users)
        .where(eq(users.id, id))
        .for('update');
      if (!before) return undefined;
      const rolesChanged =
        changes.roles !== undefined && !sameRoles(before.roles, changes.roles);
      const disabledNow = changes.disabled === true && !before.disabled;
      const [after] = await tx
        .update(users)
        .set({
          roles: changes.roles,
          disabled: changes.disabled,
          emailVerifiedAt:
            changes.emailVerified === undefined
              ? undefined
              : changes.emailVerified
                ? (before.emailVerifiedAt ?? now)
                : null,
          tokenVersion:
            before.tokenVersion + (rolesChanged || disabledNow ? 1 : 0),
          updatedAt: now,
        })
        .where(eq(users.id, id))
        .returning();
      return {
        before: toUser(before),
        after: toUser(after),
        tokenVersion: after.tokenVersion,
      };
    });
  }

  /** Deletes the row; returns its id as stored and the token version its tokens must be refused below. */
  async delete(
    id: string,
  ): Promise<{ id: string; tokenVersion: number } | undefined> {
    const [row] = await this.db
      .delete(users)
      .where(eq(users.id, id))
      .returning({ id: users.id, tokenVersion: users.tokenVersion });
    return row && { id: row.id, tokenVersion: row.tokenVersion + 1 };
  }

  async existsWithRole(role: Role): Promise<boolean> {
    const rows = await this.db
      .select({ id: users.id })
      .from(users)
      .where(sql`${role} = any(${users.roles})`)
      .limit(1);
    return rows.length > 0;
  }
}
