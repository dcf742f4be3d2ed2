import { ApiProperty } from '@nestjs/swagger';
import type { UserPage } from '../users-admin.service';
import { UserResponseDto } from './user-response.dto';

export class UserListResponseDto {
  @ApiProperty({ type: [UserResponseDto] })
  items: UserResponseDto[];

  @ApiProperty({ example: 1, description: 'Users matching q, over all pages' })
  total: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty({ example: 0 })
  offset: number;

  static from(page: UserPage): UserListResponseDto {
    return {
      items: page.items.map((user) => UserResponseDto.from(user)),
      total: page.total,
      limit: page.limit,
      offset: page.offset,
    };
  }
}
