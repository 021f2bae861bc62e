import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service';
import type { AuthenticatedUser } from './auth.types';

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const KEY_FIELDS = { id: true, userId: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;

/** Users and API keys in PostgreSQL. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findActiveByHash(keyHash: string): Promise<AuthenticatedUser | null> {
    const key = await this.prisma.apiKey.findFirst({
      where: { keyHash, revokedAt: null },
      select: { id: true, user: { select: { id: true, name: true } } },
    });
    return key ? { id: key.user.id, name: key.user.name, apiKeyId: key.id } : null;
  }

  /** The user's id; created when missing. Safe under concurrent boots (ON CONFLICT DO NOTHING). */
  async ensureUser(name: string): Promise<string> {
    await this.prisma.user.createMany({ data: [{ name }], skipDuplicates: true });
    const user = await this.prisma.user.findUniqueOrThrow({ where: { name }, select: { id: true } });
    return user.id;
  }

  /** Inserts a key unless one with the same hash exists; true when inserted. */
  async insertKey(data: { userId: string; name: string; prefix: string; keyHash: string }): Promise<boolean> {
    const { count } = await this.prisma.apiKey.createMany({ data: [data], skipDuplicates: true });
    return count === 1;
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    return this.prisma.apiKey.findUnique({ where: { keyHash }, select: KEY_FIELDS });
  }

  async countKeys(): Promise<number> {
    return this.prisma.apiKey.count();
  }

  async listKeys(userId: string): Promise<ApiKeyRecord[]> {
    return this.prisma.apiKey.findMany({ where: { userId }, orderBy: { createdAt: 'asc' }, select: KEY_FIELDS });
  }

  /** Revokes the user's key; null when the user has no such key. Revoking twice keeps the first time. */
  async revoke(userId: string, id: string): Promise<ApiKeyRecord | null> {
    await this.prisma.apiKey.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: new Date() } });
    return this.prisma.apiKey.findFirst({ where: { id, userId }, select: KEY_FIELDS });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }
}
