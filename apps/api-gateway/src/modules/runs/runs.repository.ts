import { Injectable } from '@nestjs/common';
import { ACTIVE_RUN_STATUSES, NewRunEvent, PipelineStep, RunEvent, RunEventType, RunState, RunStatus } from '@sandbox/contracts';
import { PrismaService } from '../../database/prisma.service';
import type { Transaction } from '../../database/transaction';
import { Prisma, RunStatus as DbRunStatus } from '../../generated/prisma/client';

export interface RunRecord {
  id: string;
  sessionId: string;
  ownerId: string;
  pipeline: string;
  status: RunStatus;
  parentRunId: string | null;
  input: unknown;
  steps: PipelineStep[];
  state: RunState;
  result: unknown;
  error: string | null;
  attempt: number;
  eventBatch: number;
  lastSeq: number;
  taskId: string | null;
  baseCheckpoint: string | null;
  resultCheckpoint: string | null;
  tokenSealed: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewRun {
  id: string;
  sessionId: string;
  ownerId: string;
  pipeline: string;
  parentRunId: string | null;
  input: unknown;
  steps: PipelineStep[];
  tokenSealed: string | null;
  /** The starting cursor; the first step with nothing done when absent. */
  state?: RunState;
}

export interface PipelineRecord {
  name: string;
  steps: PipelineStep[];
  createdAt: Date;
  updatedAt: Date;
}

/** An event the gateway writes itself with a status change (terminal, input required, input received). */
export interface TransitionEvent {
  type: RunEventType;
  message: string;
  data?: unknown;
}

type RunRow = Prisma.RunGetPayload<object>;

/** Prisma's enums and JSON columns hold what the contract types say; this keeps the compiler honest. */
const toRecord = (row: RunRow): RunRecord => ({
  ...row,
  status: row.status as RunStatus,
  steps: row.steps as unknown as PipelineStep[],
  state: { stepIndex: 0, outputs: {}, ...(row.state as object) },
});

const json = (value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull => (value === undefined || value === null ? Prisma.DbNull : (value));

const ACTIVE = ACTIVE_RUN_STATUSES as DbRunStatus[];
/** Channel of the doorbell: `NOTIFY run_events, '<runId>:<seq>'` at the commit of every event insert. */
export const RUN_EVENTS_CHANNEL = 'run_events';

/**
 * Runs, their events and user pipelines in PostgreSQL. Every event insert bumps `runs.last_seq` in
 * the same transaction (the row lock orders one run's commits), so `seq` is gapless and a reader that
 * asks for `seq > last` never skips one.
 */
@Injectable()
export class RunsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Inserts a QUEUED run; null when the session already has an active run (the partial unique index). */
  async insert(run: NewRun): Promise<RunRecord | null> {
    try {
      const { state, ...fields } = run;
      const row = await this.prisma.run.create({
        data: {
          ...fields,
          input: json(run.input),
          steps: run.steps as unknown as Prisma.InputJsonValue,
          state: (state ?? { stepIndex: 0, outputs: {} }) as unknown as Prisma.InputJsonValue,
        },
      });
      return toRecord(row);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return null;
      throw error;
    }
  }

  async find(id: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findUnique({ where: { id } });
    return row && toRecord(row);
  }

  async findOwned(ownerId: string, id: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findFirst({ where: { id, ownerId } });
    return row && toRecord(row);
  }

  async active(sessionId: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findFirst({ where: { sessionId, status: { in: ACTIVE } } });
    return row && toRecord(row);
  }

  async latest(sessionId: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findFirst({ where: { sessionId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    return row && toRecord(row);
  }

  /**
   * The agent conversation of the session's most recent run that has one: the transcript of an agent
   * step it stopped in (failed, cancelled, waiting), else the conversation of its last finished one.
   */
  async latestConversation(sessionId: string): Promise<unknown[] | null> {
    const rows = await this.prisma.$queryRaw<{ conversation: unknown }[]>`
      SELECT CASE WHEN jsonb_typeof(state->'transcript') = 'array' THEN state->'transcript' ELSE state->'conversation' END AS conversation
      FROM runs
      WHERE session_id = ${sessionId}::uuid
        AND (jsonb_typeof(state->'transcript') = 'array' OR jsonb_typeof(state->'conversation') = 'array')
      ORDER BY created_at DESC, id DESC
      LIMIT 1`;
    const conversation = rows[0]?.conversation;
    return Array.isArray(conversation) ? conversation : null;
  }

  async list(sessionId: string, limit: number, offset: number): Promise<{ runs: RunRecord[]; total: number }> {
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.run.findMany({ where: { sessionId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit, skip: offset }),
      this.prisma.run.count({ where: { sessionId } }),
    ]);
    return { runs: rows.map(toRecord), total };
  }

  async setTask(id: string, taskId: string): Promise<void> {
    await this.prisma.run.updateMany({ where: { id, status: { in: ACTIVE } }, data: { taskId } });
  }

  /**
   * A worker takes the run: QUEUED or RUNNING (a retry after a crash) → RUNNING with the next attempt
   * number. Null when the run is in any other state (finished, cancelled, waiting for input) or gone.
   */
  async claim(id: string, taskId: string | undefined): Promise<RunRecord | null> {
    const now = new Date();
    const rows = await this.prisma.run.updateManyAndReturn({
      where: { id, status: { in: [DbRunStatus.QUEUED, DbRunStatus.RUNNING] } },
      data: { status: DbRunStatus.RUNNING, attempt: { increment: 1 }, eventBatch: 0, ...(taskId ? { taskId } : {}), updatedAt: now },
    });
    const row = rows[0];
    if (!row) return null;
    if (!row.startedAt) {
      await this.prisma.run.updateMany({ where: { id, startedAt: null }, data: { startedAt: now } });
      row.startedAt = now;
    }
    return toRecord(row);
  }

  /**
   * Stores batch `n` of `attempt`. Null when the run is not RUNNING under that attempt (the caller
   * tells stale from finished); `duplicate` when that batch was stored already.
   */
  async appendEvents(runId: string, attempt: number, n: number, events: NewRunEvent[]): Promise<{ lastSeq: number; duplicate: boolean } | null> {
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.run.updateManyAndReturn({
        where: { id: runId, attempt, status: DbRunStatus.RUNNING, eventBatch: { lt: n } },
        data: { lastSeq: { increment: events.length }, eventBatch: n, updatedAt: new Date() },
        select: { lastSeq: true },
      });
      if (!rows[0]) {
        const current = await tx.run.findUnique({ where: { id: runId }, select: { attempt: true, status: true, eventBatch: true, lastSeq: true } });
        if (current && current.attempt === attempt && current.status === DbRunStatus.RUNNING && current.eventBatch >= n) return { lastSeq: current.lastSeq, duplicate: true };
        return null;
      }
      const lastSeq = rows[0].lastSeq;
      if (events.length > 0) {
        const first = lastSeq - events.length + 1;
        await tx.runEvent.createMany({
          data: events.map((event, index) => ({ runId, seq: first + index, type: event.type, message: event.message, data: json(event.data) })),
        });
        await this.ring(tx, runId, lastSeq);
      }
      return { lastSeq, duplicate: false };
    });
  }

  async saveState(runId: string, attempt: number, update: { state?: RunState; baseCheckpoint?: string; dropToken?: boolean }): Promise<boolean> {
    const { count } = await this.prisma.run.updateMany({
      where: { id: runId, attempt, status: DbRunStatus.RUNNING },
      data: {
        ...(update.state ? { state: update.state as unknown as Prisma.InputJsonValue } : {}),
        ...(update.baseCheckpoint ? { baseCheckpoint: update.baseCheckpoint } : {}),
        ...(update.dropToken ? { tokenSealed: null } : {}),
        updatedAt: new Date(),
      },
    });
    return count === 1;
  }

  /**
   * One status change and the event that tells it, in one transaction: the run moves from one of
   * `from` (and, when given, only under `attempt`) to `to`, and the event gets the next seq.
   * Terminal targets also drop the token and set finishedAt. Null when the run was not in `from`.
   * `withChange` runs in the same transaction (the webhook deliveries of the change); a throw there
   * rolls the whole change back.
   */
  async transition(
    runId: string,
    change: {
      from: RunStatus[];
      to: RunStatus;
      attempt?: number;
      event: TransitionEvent;
      result?: unknown;
      error?: string | null;
      state?: RunState;
      resultCheckpoint?: string;
      terminal: boolean;
    },
    withChange: (tx: Transaction, run: RunRecord) => Promise<void> = () => Promise.resolve(),
  ): Promise<RunRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const rows = await tx.run.updateManyAndReturn({
        where: { id: runId, status: { in: change.from }, ...(change.attempt === undefined ? {} : { attempt: change.attempt }) },
        data: {
          status: change.to,
          lastSeq: { increment: 1 },
          updatedAt: now,
          ...(change.result === undefined ? {} : { result: json(change.result) }),
          ...(change.error === undefined ? {} : { error: change.error }),
          ...(change.state ? { state: change.state as unknown as Prisma.InputJsonValue } : {}),
          ...(change.resultCheckpoint ? { resultCheckpoint: change.resultCheckpoint } : {}),
          ...(change.terminal ? { finishedAt: now, tokenSealed: null } : {}),
        },
      });
      const row = rows[0];
      if (!row) return null;
      await tx.runEvent.create({
        data: { runId, seq: row.lastSeq, type: change.event.type, message: change.event.message, data: json(change.event.data), timestamp: now },
      });
      const run = toRecord(row);
      await withChange(tx, run);
      await this.ring(tx, runId, row.lastSeq);
      return run;
    });
  }

  /** A run waiting for input gets its answer and goes back to QUEUED (its next task resumes it). */
  async answer(runId: string, answer: string, event: TransitionEvent): Promise<RunRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.run.findUnique({ where: { id: runId }, select: { state: true, status: true } });
      if (current?.status !== DbRunStatus.AWAITING_INPUT) return null;
      const state = { ...(current.state as object), answer } as Prisma.InputJsonValue;
      const now = new Date();
      const rows = await tx.run.updateManyAndReturn({
        where: { id: runId, status: DbRunStatus.AWAITING_INPUT },
        data: { status: DbRunStatus.QUEUED, state, lastSeq: { increment: 1 }, updatedAt: now, taskId: null },
      });
      const row = rows[0];
      if (!row) return null;
      await tx.runEvent.create({ data: { runId, seq: row.lastSeq, type: event.type, message: event.message, data: json(event.data), timestamp: now } });
      await this.ring(tx, runId, row.lastSeq);
      return toRecord(row);
    });
  }

  /** Events with `seq > afterSeq`, in order, at most `limit`. */
  async eventsAfter(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.prisma.runEvent.findMany({ where: { runId, seq: { gt: afterSeq } }, orderBy: { seq: 'asc' }, take: limit });
    return rows.map((row) => ({ seq: row.seq, runId: row.runId, type: row.type as RunEventType, message: row.message, data: row.data ?? null, timestamp: row.timestamp.toISOString() }));
  }

  /** QUEUED or RUNNING runs not touched since `before` (oldest first, bounded): the sweeper checks their task. */
  async listStale(before: Date, limit: number): Promise<RunRecord[]> {
    const rows = await this.prisma.run.findMany({
      where: { status: { in: [DbRunStatus.QUEUED, DbRunStatus.RUNNING] }, updatedAt: { lt: before } },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
    return rows.map(toRecord);
  }

  /** Marks a run as looked at, so the sweeper does not ask about it again at once. */
  async touch(runId: string): Promise<void> {
    await this.prisma.run.updateMany({ where: { id: runId }, data: { updatedAt: new Date() } });
  }

  /** Deletes the events of runs that finished before `before`; the run rows stay. */
  async deleteEventsOfRunsFinishedBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.runEvent.deleteMany({
      where: { run: { status: { in: [DbRunStatus.SUCCEEDED, DbRunStatus.FAILED, DbRunStatus.CANCELLED] }, finishedAt: { lt: before } } },
    });
    return count;
  }

  async repositoryOf(sessionId: string): Promise<{ repoUrl: string | null; repoName: string | null } | null> {
    return this.prisma.session.findUnique({ where: { id: sessionId }, select: { repoUrl: true, repoName: true } });
  }

  async checkpoint(sessionId: string, commitHash: string) {
    return this.prisma.gitCheckpoint.findUnique({ where: { sessionId_commitHash: { sessionId, commitHash } } });
  }

  async upsertPipeline(ownerId: string, name: string, steps: PipelineStep[]): Promise<PipelineRecord> {
    const data = { steps: steps as unknown as Prisma.InputJsonValue };
    const row = await this.prisma.pipeline.upsert({ where: { ownerId_name: { ownerId, name } }, create: { ownerId, name, ...data }, update: data });
    return { name: row.name, steps: row.steps as unknown as PipelineStep[], createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  async findPipeline(ownerId: string, name: string): Promise<PipelineRecord | null> {
    const row = await this.prisma.pipeline.findUnique({ where: { ownerId_name: { ownerId, name } } });
    return row && { name: row.name, steps: row.steps as unknown as PipelineStep[], createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  async listPipelines(ownerId: string): Promise<PipelineRecord[]> {
    const rows = await this.prisma.pipeline.findMany({ where: { ownerId }, orderBy: { name: 'asc' }, take: 500 });
    return rows.map((row) => ({ name: row.name, steps: row.steps as unknown as PipelineStep[], createdAt: row.createdAt, updatedAt: row.updatedAt }));
  }

  /** The doorbell, delivered by PostgreSQL at commit; a lost one only costs latency (watchers also poll). */
  private async ring(tx: Prisma.TransactionClient, runId: string, seq: number): Promise<void> {
    await tx.$queryRaw`SELECT pg_notify(${RUN_EVENTS_CHANNEL}, ${`${runId}:${seq}`})::text AS rang`;
  }
}
