import { Injectable } from '@nestjs/common';
import type { User, UserCredentials } from './user';
import { UserProfileCache } from './user-profile.cache';
import { NewUser, UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly profiles: UserProfileCache,
  ) {}

  create(input: NewUser): Promise<User> {
    return this.repository.create(input);
  }

  /** The user for GET /auth/me: from the profile cache when it can answer exactly, else one read. */
  async findProfile(id: string): Promise<User | undefined> {
    const cached = this.profiles.get(id);
    if (cached) return cached;
    const user = await this.repository.findById(id);
    if (user) this.profiles.set(user);
    return user;
  }

  findCredentialsByLogin(login: string): Promise<UserCredentials | undefined> {
    return this.repository.findCredentialsByLogin(login);
  }

  findByEmail(email: string): Promise<User | undefined> {
    return this.repository.findByEmail(email);
  }

  /** Called by whoever changed the row outside this module (email flows), so GET /auth/me reads it afresh. */
  profileChanged(id: string): void {
    this.profiles.forget(id);
  }

  findCredentialsById(id: string): Promise<UserCredentials | undefined> {
    return this.repository.findCredentialsById(id);
  }

  /** Removes an account nobody has used yet (made by a sign-in that then lost a race to link its identity). */
  async removeUnused(id: string): Promise<void> {
    await this.repository.delete(id);
    this.profiles.forget(id);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.repository.update(id, { passwordHash });
    this.profiles.forget(id);
  }
}
