import { Injectable } from '@nestjs/common';
import type { Role } from './role.enum';
import type { User, UserCredentials } from './user';
import { NewUser, UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  constructor(private readonly repository: UsersRepository) {}

  create(input: NewUser): Promise<User> {
    return this.repository.create(input);
  }

  findById(id: string): Promise<User | undefined> {
    return this.repository.findById(id);
  }

  findCredentialsByLogin(login: string): Promise<UserCredentials | undefined> {
    return this.repository.findCredentialsByLogin(login);
  }

  findCredentialsById(id: string): Promise<UserCredentials | undefined> {
    return this.repository.findCredentialsById(id);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.repository.update(id, { passwordHash });
  }

  existsWithRole(role: Role): Promise<boolean> {
    return this.repository.existsWithRole(role);
  }
}
