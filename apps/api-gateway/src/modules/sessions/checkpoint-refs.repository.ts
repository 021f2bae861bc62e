import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service';

/** Finds a session's checkpoints by a prefix of their commit hash (short hashes in the API). */
@Injectable()
export class CheckpointRefsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Up to two full hashes starting with `prefix`: one is a match, two an ambiguous prefix. */
  async hashesStartingWith(sessionId: string, prefix: string): Promise<string[]> {
    const rows = await this.prisma.gitCheckpoint.findMany({
      where: { sessionId, commitHash: { startsWith: prefix } },
      select: { commitHash: true },
      take: 2,
    });
    return rows.map((row) => row.commitHash);
  }
}
