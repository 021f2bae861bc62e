import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Task, TaskEvent, TaskEventType, TaskPriorityValue, TaskStatus } from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { RedisRepository } from '../redis/redis.repository';

export const TERMINAL_STATUSES: readonly TaskStatus[] = [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled];
export const ACTIVE_STATUSES: readonly TaskStatus[] = [TaskStatus.Pending, TaskStatus.Processing, TaskStatus.Retrying];

export interface NewTaskRecord {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  priority: TaskPriorityValue;
  maxAttempts: number;
  ownerId: string | null;
  jobId: string | null;
}

export interface TaskFilter {
  /** Any of these statuses. */
  statuses?: TaskStatus[];
  type?: string;
  ownerId?: string;
  jobId?: string;
}

/**
 * Outcome of a conditional status change: `applied` (with the count of finished tasks after a terminal
 * change, and the record when asked for), or why not (`missing`, or the current status).
 */
export type TransitionResult =
  | { applied: true; previous: TaskStatus; finishedCount: number; task: Task | null }
  | { applied: false; current: TaskStatus | null; attemptsUsedUp?: { attempts: number; maxAttempts: number } };

/** In a counted start's event message: replaced by the attempt number the start gave the task. */
export const ATTEMPT_PLACEHOLDER = '{{attempt}}';

export interface TransitionChange {
  /** Statuses the task may be in for the change to apply. */
  from: readonly TaskStatus[];
  to: TaskStatus;
  fields?: Partial<Record<keyof Task, unknown>>;
  event?: { type: TaskEventType; message: string; progress?: number; data?: unknown };
  /** Answer with the record as it is after the change (saves a read). */
  returnTask?: boolean;
  /**
   * The change starts a run: `attempts` is incremented with it, atomically, so a run counts even if
   * its process dies right after. Refused (`attemptsUsedUp`) when `maxAttempts` runs have started.
   */
  countAttempt?: boolean;
  /**
   * The run (attempt number) this change comes from: it applies only while that run is the task's
   * latest, so a late event of an earlier run cannot overwrite what a newer run recorded.
   */
  run?: number;
  /** A key whose presence means a run holds the task (its queue lock): the change is then refused. */
  unlessKeyExists?: string;
}

/** The write that stores a new task (a script call for a transaction), and the task it stores. */
export interface NewTaskWrite {
  /** `EVAL` arguments: script, key count, keys, arguments. Answers 1 (created) or 0 (the id exists). */
  evalArgs: (string | number)[];
  task: Task;
}

/** One stored event with its stream id (used as the SSE `id`). */
export interface StoredTaskEvent {
  id: string;
  event: TaskEvent;
}

const EVENTS_MAX_LENGTH = 5_000;

// Applies a status change only when the task is in one of the allowed statuses, atomically with its
// index entries and (optionally) an event: this is what makes a result recorded exactly once even when
// a task runs more than once. The answer carries what the caller needs next, so a transition is one
// round trip: {1, previous, finishedCount, record...} (the record when ARGV[8] is '1', the count of
// finished tasks for a terminal status) or {0, current} / {-1, ''}. With ARGV[9] = '1' the change
// starts a run: it counts the attempt (and names it in the event), or answers {-2, current, attempts,
// maxAttempts} when every attempt has been started already. ARGV[10] (a run number) keys the change to
// that run: refused ({0, current}) once a later run has started. ARGV[11] (a key) refuses the change
// while that key exists (the queue's lock of a running entry).
const TRANSITION_SCRIPT = `
local ns, id, allowed, new, event, now, terminal, withRecord, countAttempt, run, lockKey = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local key = ns .. ':task:' .. id
local current = redis.call('HGET', key, 'status')
if not current then return {-1, ''} end
if not string.find(',' .. allowed .. ',', ',' .. current .. ',', 1, true) then return {0, current} end
if run ~= '' and (tonumber(redis.call('HGET', key, 'attempts')) or 0) ~= tonumber(run) then return {0, current} end
if lockKey ~= '' and redis.call('EXISTS', lockKey) == 1 then return {0, current} end
if countAttempt == '1' then
  local attempts = tonumber(redis.call('HGET', key, 'attempts')) or 0
  local maxAttempts = tonumber(redis.call('HGET', key, 'maxAttempts')) or 1
  if attempts >= maxAttempts then return {-2, current, attempts, maxAttempts} end
  attempts = redis.call('HINCRBY', key, 'attempts', 1)
  event = string.gsub(event, '${ATTEMPT_PLACEHOLDER}', tostring(attempts))
end
if #ARGV >= 13 then redis.call('HSET', key, 'status', new, unpack(ARGV, 12)) else redis.call('HSET', key, 'status', new) end
if current ~= new then
  local score = redis.call('HGET', key, 'createdMs')
  redis.call('ZREM', ns .. ':tasks:status:' .. current, id)
  redis.call('ZADD', ns .. ':tasks:status:' .. new, score, id)
end
local finished = 0
if terminal == '1' then
  redis.call('ZADD', ns .. ':tasks:finished', now, id)
  finished = redis.call('ZCARD', ns .. ':tasks:finished')
end
if event ~= '' then redis.call('XADD', ns .. ':task:' .. id .. ':events', 'MAXLEN', '~', '${EVENTS_MAX_LENGTH}', '*', 'e', event) end
if withRecord == '1' then
  local reply = redis.call('HGETALL', key)
  table.insert(reply, 1, finished)
  table.insert(reply, 1, current)
  table.insert(reply, 1, 1)
  return reply
end
return {1, current, finished}
`;

// Appends an event only while the task runs, so nothing lands after its terminal event.
const APPEND_EVENT_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'processing' then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '${EVENTS_MAX_LENGTH}', '*', 'e', ARGV[1])
return 1
`;

const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], ARGV[1], ARGV[2]) end
return 1
`;

/** The scripts above as ioredis commands: `EVALSHA`, the script text only on a connection's first use. */
interface ScriptedRedis extends Redis {
  sandboxTaskTransition(...args: string[]): Promise<(string | number)[]>;
  sandboxTaskAppendEvent(key: string, eventsKey: string, event: string): Promise<number>;
}

/** Task records, their indexes and event streams in Redis (keys under `{prefix}:w:`). */
@Injectable()
export class TaskRepository {
  private readonly ns: string;
  private readonly redis: ScriptedRedis;

  constructor(
    private readonly connection: RedisRepository,
    config: WorkerConfig,
  ) {
    this.ns = `${config.prefix}:w`;
    const redis = connection.client;
    redis.defineCommand('sandboxTaskTransition', { numberOfKeys: 0, lua: TRANSITION_SCRIPT });
    redis.defineCommand('sandboxTaskAppendEvent', { numberOfKeys: 2, lua: APPEND_EVENT_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  private key(id: string): string {
    return `${this.ns}:task:${id}`;
  }

  private eventsKey(id: string): string {
    return `${this.ns}:task:${id}:events`;
  }

  private stepsKey(id: string): string {
    return `${this.ns}:task:${id}:steps`;
  }

  private statusKey(status: TaskStatus): string {
    return `${this.ns}:tasks:status:${status}`;
  }

  private indexKeys(filter: TaskFilter): string[] {
    const keys: string[] = [];
    for (const status of filter.statuses ?? []) keys.push(this.statusKey(status));
    if (filter.type) keys.push(`${this.ns}:tasks:type:${filter.type}`);
    if (filter.ownerId) keys.push(`${this.ns}:tasks:owner:${filter.ownerId}`);
    if (filter.jobId) keys.push(`${this.ns}:tasks:job:${filter.jobId}`);
    return keys;
  }

  /**
   * The write that stores a new pending task with its index entries; it answers 0 (and changes
   * nothing) when a task with this id exists already (idempotent creation). It is run in one
   * transaction with the task's queue entry (TaskQueueRepository.enqueueTask), so the record exists
   * before any worker can see the entry. Plain `EVAL`: inside MULTI a script missing from the cache
   * could not be retried. The task is what `find` would answer right after.
   */
  newTaskWrite(record: NewTaskRecord, now = new Date()): NewTaskWrite {
    const iso = now.toISOString();
    const payload = JSON.stringify(record.payload);
    const fields: Record<string, string> = {
      id: record.id,
      type: record.type,
      payload,
      priority: String(record.priority),
      status: TaskStatus.Pending,
      attempts: '0',
      maxAttempts: String(record.maxAttempts),
      result: '',
      error: '',
      ownerId: record.ownerId ?? '',
      jobId: record.jobId ?? '',
      createdAt: iso,
      updatedAt: iso,
      startedAt: '',
      finishedAt: '',
      createdMs: String(now.getTime()),
    };
    const keys = [this.key(record.id), `${this.ns}:tasks`, ...this.indexKeys({ statuses: [TaskStatus.Pending], type: record.type, ownerId: record.ownerId ?? undefined, jobId: record.jobId ?? undefined })];
    const evalArgs: (string | number)[] = [CREATE_SCRIPT, keys.length, ...keys, fields.createdMs, record.id];
    for (const name in fields) evalArgs.push(name, fields[name]);
    return { evalArgs, task: toTask(fields, record.payload) as Task };
  }

  async find(id: string): Promise<Task | null> {
    const raw = await this.redis.hgetall(this.key(id));
    return toTask(raw);
  }

  async list(filter: TaskFilter, limit: number, offset: number): Promise<{ tasks: Task[]; total: number }> {
    const { statuses = [], ...rest } = filter;
    const keys = this.indexKeys(rest);
    const combine = this.redis.multi();
    if (statuses.length === 1) keys.push(this.statusKey(statuses[0]));
    if (statuses.length > 1) {
      // Several statuses: their union first, into a short-lived key.
      const union = `${this.ns}:tmp:${statuses.join(',')}`;
      combine.zunionstore(union, statuses.length, ...statuses.map((status) => this.statusKey(status))).pexpire(union, 2_000);
      keys.push(union);
    }
    let source = `${this.ns}:tasks`;
    if (keys.length === 1) source = keys[0];
    if (keys.length > 1) {
      // Intersect the indexes into a short-lived key, then page it like a single index.
      source = `${this.ns}:tmp:${keys.join('|')}`;
      combine.zinterstore(source, keys.length, ...keys, 'AGGREGATE', 'MAX').pexpire(source, 2_000);
    }
    if (statuses.length > 1 || keys.length > 1) await combine.exec();
    const [total, ids] = await Promise.all([this.redis.zcard(source), this.redis.zrevrange(source, offset, offset + limit - 1)]);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const rows = (await pipeline.exec()) ?? [];
    const tasks = rows.map(([, raw]) => toTask(raw as Record<string, string>)).filter((task): task is Task => task !== null);
    return { tasks, total };
  }

  async transition(id: string, change: TransitionChange, now = new Date()): Promise<TransitionResult> {
    const terminal = TERMINAL_STATUSES.includes(change.to);
    const event = change.event ? JSON.stringify(this.eventOf(id, change.event, now)) : '';
    const args = [this.ns, id, change.from.join(','), change.to, event, String(now.getTime()), terminal ? '1' : '0', change.returnTask ? '1' : '0', change.countAttempt ? '1' : '0', change.run === undefined ? '' : String(change.run), change.unlessKeyExists ?? '', 'updatedAt', now.toISOString()];
    for (const [name, value] of Object.entries(change.fields ?? {})) args.push(name, encodeField(name, value));
    const reply = await this.redis.sandboxTaskTransition(...args);
    const code = Number(reply[0]);
    if (code === -2) return { applied: false, current: reply[1] as TaskStatus, attemptsUsedUp: { attempts: Number(reply[2]), maxAttempts: Number(reply[3]) } };
    if (code !== 1) return { applied: false, current: code === -1 ? null : (reply[1] as TaskStatus) };
    let task: Task | null = null;
    if (change.returnTask) {
      const raw: Record<string, string> = {};
      for (let index = 3; index + 1 < reply.length; index += 2) raw[reply[index]] = String(reply[index + 1]);
      task = toTask(raw);
    }
    return { applied: true, previous: reply[1] as TaskStatus, finishedCount: Number(reply[2]), task };
  }

  /** Appends an event while the task is `processing`; false (and nothing stored) otherwise. */
  async appendEvent(id: string, event: TransitionChange['event'] & object): Promise<boolean> {
    const stored = await this.redis.sandboxTaskAppendEvent(this.key(id), this.eventsKey(id), JSON.stringify(this.eventOf(id, event, new Date())));
    return stored === 1;
  }

  private eventOf(taskId: string, event: NonNullable<TransitionChange['event']>, now: Date): TaskEvent {
    return { taskId, type: event.type, message: event.message, progress: event.progress, data: event.data, timestamp: now.toISOString() };
  }

  /** Events after `afterId` (exclusive; `0` for all), oldest first. */
  async events(id: string, afterId = '0', count = 500): Promise<StoredTaskEvent[]> {
    const rows = await this.redis.xrange(this.eventsKey(id), afterId === '0' ? '-' : `(${afterId}`, '+', 'COUNT', count);
    return rows.map(([streamId, values]) => ({ id: streamId, event: JSON.parse(values[1]) as TaskEvent }));
  }

  /** Blocks on a dedicated connection until events after `afterId` arrive or `blockMs` passes. */
  async waitForEvents(connection: Redis, id: string, afterId: string, blockMs: number): Promise<StoredTaskEvent[]> {
    const reply = await connection.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', this.eventsKey(id), afterId === '0' ? '0-0' : afterId);
    if (!reply) return [];
    return reply.flatMap(([, entries]) => entries.map(([streamId, values]) => ({ id: streamId, event: JSON.parse(values[1]) as TaskEvent })));
  }

  /** A handler step's stored result, so a redelivered task does not redo finished side effects. */
  async stepResult(id: string, step: string): Promise<{ found: boolean; value: unknown }> {
    const raw = await this.redis.hget(this.stepsKey(id), step);
    return raw === null ? { found: false, value: undefined } : { found: true, value: JSON.parse(raw) as unknown };
  }

  async saveStep(id: string, step: string, value: unknown): Promise<void> {
    await this.redis.hset(this.stepsKey(id), step, JSON.stringify(value ?? null));
  }

  /**
   * Deletes finished tasks beyond the newest `keep` or finished before `olderThan`, with their events
   * and index entries. Returns how many were deleted.
   */
  async prune(keep: number, olderThan: Date, batch = 500): Promise<number> {
    const finished = `${this.ns}:tasks:finished`;
    const total = await this.redis.zcard(finished);
    const overflow = Math.min(batch, Math.max(0, total - keep));
    const ids = new Set<string>(overflow > 0 ? await this.redis.zrange(finished, 0, String(overflow - 1)) : []);
    for (const id of await this.redis.zrangebyscore(finished, '-inf', `(${olderThan.getTime()}`, 'LIMIT', 0, batch)) ids.add(id);
    if (ids.size === 0) return 0;
    const lookup = this.redis.pipeline();
    for (const id of ids) lookup.hmget(this.key(id), 'status', 'type', 'ownerId', 'jobId');
    const rows = (await lookup.exec()) ?? [];
    const removal = this.redis.multi();
    [...ids].forEach((id, index) => {
      const [status, type, ownerId, jobId] = (rows[index]?.[1] as (string | null)[] | undefined) ?? [];
      removal.del(this.key(id), this.eventsKey(id), this.stepsKey(id)).zrem(finished, id).zrem(`${this.ns}:tasks`, id);
      for (const key of this.indexKeys({ statuses: status ? [status as TaskStatus] : [], type: type || undefined, ownerId: ownerId || undefined, jobId: jobId || undefined })) removal.zrem(key, id);
    });
    await removal.exec();
    return ids.size;
  }
}

function encodeField(name: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (name === 'result' || name === 'payload') return JSON.stringify(value);
  return scalar(value);
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function toTask(raw: Record<string, string> | null | undefined, payload?: Record<string, unknown>): Task | null {
  if (!raw || !raw.id) return null;
  const orNull = (value: string | undefined) => (value ? value : null);
  return {
    id: raw.id,
    type: raw.type,
    payload: payload ?? (JSON.parse(raw.payload || '{}') as Record<string, unknown>),
    priority: Number(raw.priority) as TaskPriorityValue,
    status: raw.status as TaskStatus,
    attempts: Number(raw.attempts || 0),
    maxAttempts: Number(raw.maxAttempts || 1),
    result: raw.result ? (JSON.parse(raw.result) as unknown) : null,
    error: orNull(raw.error),
    ownerId: orNull(raw.ownerId),
    jobId: orNull(raw.jobId),
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
    startedAt: orNull(raw.startedAt),
    finishedAt: orNull(raw.finishedAt),
  };
}
