import { Injectable } from '@nestjs/common';
import { GatewaySessionStatus } from '@sandbox/contracts';
import { PrismaService } from '../../database/prisma.service';
import type { Transaction } from '../../database/transaction';
import { Prisma, RunStatus, SessionStatus } from '../../generated/prisma/client';

export interface SessionRecord {
  id: string;
  ownerId: string;
  status: GatewaySessionStatus;
  template: string | null;
  image: string | null;
  errorReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  stoppedAt: Date | null;
  /** The repository initRun imported; null for sessions made with createSession. */
  repoUrl: string | null;
  repoName: string | null;
}

export interface CheckpointRecord {
  id: string;
  sessionId: string;
  commitHash: string;
  filesChanged: number;
  messageNumber: number | null;
  description: string | null;
  /** The run that was RUNNING in the session when the checkpoint was recorded. */
  runId: string | null;
  createdAt: Date;
}

export type NewCheckpoint = Omit<CheckpointRecord, 'id' | 'createdAt' | 'runId'> & { createdAt?: Date };

/**
 * Work that commits or rolls back with a change, inside its transaction (the webhook deliveries the
 * change causes): a throw rolls the change back.
 */
export type WithChange<T> = (tx: Transaction, changed: T) => Promise<void>;

const nothing = (): Promise<void> => Promise.resolve();

/** Prisma's enum and the contract's enum hold the same strings; this keeps the compiler honest. */
const toRecord = <T extends { status: SessionStatus }>(row: T): T & { status: GatewaySessionStatus } => row as T & { status: GatewaySessionStatus };

/** Sessions and their git checkpoints in PostgreSQL. Every owner-facing read is scoped by owner. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(data: { id: string; ownerId: string; template: string; image: string | null; repoUrl?: string; repoName?: string }, withChange: WithChange<SessionRecord> = nothing): Promise<SessionRecord> {
    return this.prisma.$transaction(async (tx) => {
      const session = toRecord(await tx.session.create({ data: { ...data, status: SessionStatus.PENDING } }));
      await withChange(tx, session);
      return session;
    });
  }

  async find(id: string): Promise<SessionRecord | null> {
    const row = await this.prisma.session.findUnique({ where: { id } });
    return row && toRecord(row);
  }

  async findOwned(ownerId: string, id: string): Promise<SessionRecord | null> {
    const row = await this.prisma.session.findFirst({ where: { id, ownerId } });
    return row && toRecord(row);
  }

  async listOwned(ownerId: string, filter: { status?: GatewaySessionStatus; limit: number; offset: number }): Promise<{ sessions: SessionRecord[]; total: number }> {
    const where: Prisma.SessionWhereInput = { ownerId, ...(filter.status ? { status: filter.status } : {}) };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.session.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: filter.limit, skip: filter.offset }),
      this.prisma.session.count({ where }),
    ]);
    return { sessions: rows.map(toRecord), total };
  }

  /**
   * One conditional UPDATE: the row changes only while its status is still one of `from`, so
   * concurrent transitions of one session serialize on the row lock and never both apply.
   */
  async transition(
    id: string,
    from: GatewaySessionStatus[],
    to: GatewaySessionStatus,
    errorReason?: string | null,
    withChange: WithChange<SessionRecord> = nothing,
  ): Promise<SessionRecord | null> {
    const now = new Date();
    const data: Prisma.SessionUpdateManyMutationInput = { status: to, updatedAt: now };
    if (to === GatewaySessionStatus.Active) Object.assign(data, { startedAt: now, errorReason: null });
    if (to === GatewaySessionStatus.Stopped) data.stoppedAt = now;
    if (to === GatewaySessionStatus.Error) data.errorReason = errorReason ?? null;
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.session.updateManyAndReturn({ where: { id, status: { in: from } }, data });
      if (!rows[0]) return null;
      const changed = toRecord(rows[0]);
      await withChange(tx, changed);
      return changed;
    });
  }

  /** Sessions still PENDING that were created before `before` (oldest first, bounded). */
  async listPendingBefore(before: Date, limit: number): Promise<SessionRecord[]> {
    const rows = await this.prisma.session.findMany({
      where: { status: SessionStatus.PENDING, createdAt: { lt: before } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
    return rows.map(toRecord);
  }

  async deleteOwned(ownerId: string, id: string, withChange: WithChange<string> = nothing): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.session.deleteMany({ where: { id, ownerId } });
      if (count === 1) await withChange(tx, id);
      return count === 1;
    });
  }

  /**
   * Inserts a checkpoint unless (session, commit) exists; `created` false for a duplicate. Null for an
   * unknown session. A checkpoint recorded while a run of the session is RUNNING carries its id.
   */
  async recordCheckpoint(
    checkpoint: NewCheckpoint,
    withNew: WithChange<{ checkpoint: CheckpointRecord; ownerId: string }> = nothing,
  ): Promise<{ checkpoint: CheckpointRecord; created: boolean } | null> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const running = await tx.run.findFirst({ where: { sessionId: checkpoint.sessionId, status: RunStatus.RUNNING }, select: { id: true } });
        const { count } = await tx.gitCheckpoint.createMany({ data: [{ ...checkpoint, runId: running?.id ?? null }], skipDuplicates: true });
        const row = await tx.gitCheckpoint.findUnique({
          where: { sessionId_commitHash: { sessionId: checkpoint.sessionId, commitHash: checkpoint.commitHash } },
          include: { session: { select: { ownerId: true } } },
        });
        if (!row) return null;
        const { session, ...recorded } = row;
        if (count === 1) await withNew(tx, { checkpoint: recorded, ownerId: session.ownerId });
        return { checkpoint: recorded, created: count === 1 };
      });
    } catch (error) {
      // P2003: the foreign key to sessions failed, i.e. no such session.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') return null;
      throw error;
    }
  }

  async listCheckpoints(sessionId: string, limit: number, offset: number): Promise<CheckpointRecord[]> {
    return this.prisma.gitCheckpoint.findMany({ where: { sessionId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: limit, skip: offset });
  }
}
