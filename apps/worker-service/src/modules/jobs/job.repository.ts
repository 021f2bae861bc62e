import { Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { JobStatus } from '@sandbox/contracts';
import type { Job } from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { RedisRepository } from '../redis/redis.repository';

/** A job as stored; `nextRunAt` is computed when read. */
export type StoredJob = Omit<Job, 'nextRunAt'>;

// Counts a failed run and flips the job to `failed` at the threshold, atomically, so two replicas
// finishing runs at once cannot both miss (or both cross) it. Returns {failures, status}.
const RECORD_FAILURE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, ''} end
local failures = redis.call('HINCRBY', KEYS[1], 'consecutiveFailures', 1)
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'active' and failures >= tonumber(ARGV[1]) then
  status = 'failed'
  redis.call('HSET', KEYS[1], 'status', status)
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
return {failures, status}
`;

/** Cron job records in Redis (`{prefix}:w:job:{id}`), indexed by creation time and owner. */
@Injectable()
export class JobRepository {
  private readonly ns: string;
  private readonly redis: Redis;

  constructor(connection: RedisRepository, config: WorkerConfig) {
    this.ns = `${config.prefix}:w`;
    this.redis = connection.client;
  }

  private key(id: string): string {
    return `${this.ns}:job:${id}`;
  }

  async create(job: StoredJob): Promise<void> {
    const score = Date.parse(job.createdAt);
    const multi = this.redis.multi().hset(this.key(job.id), encode(job)).zadd(`${this.ns}:jobs`, score, job.id);
    if (job.ownerId) multi.zadd(`${this.ns}:jobs:owner:${job.ownerId}`, score, job.id);
    await multi.exec();
  }

  async find(id: string): Promise<StoredJob | null> {
    return decode(await this.redis.hgetall(this.key(id)));
  }

  async list(ownerId?: string): Promise<StoredJob[]> {
    const ids = await this.redis.zrange(ownerId ? `${this.ns}:jobs:owner:${ownerId}` : `${this.ns}:jobs`, 0, '-1');
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const rows = (await pipeline.exec()) ?? [];
    return rows.map(([, raw]) => decode(raw as Record<string, string>)).filter((job): job is StoredJob => job !== null);
  }

  /** Updates fields of an existing job; false when it does not exist. */
  async update(id: string, fields: Partial<StoredJob>): Promise<boolean> {
    const key = this.key(id);
    const result = await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end redis.call('HSET', KEYS[1], unpack(ARGV)) return 1`,
      1,
      key,
      ...Object.entries(encode({ ...fields, updatedAt: new Date().toISOString() })).flat(),
    );
    return result === 1;
  }

  async recordFailure(id: string, threshold: number): Promise<{ failures: number; status: JobStatus } | null> {
    const [failures, status] = (await this.redis.eval(RECORD_FAILURE_SCRIPT, 1, this.key(id), String(threshold), new Date().toISOString())) as [number, string];
    return failures === -1 ? null : { failures, status: status as JobStatus };
  }

  async delete(id: string, ownerId: string | null): Promise<boolean> {
    const multi = this.redis.multi().del(this.key(id)).zrem(`${this.ns}:jobs`, id);
    if (ownerId) multi.zrem(`${this.ns}:jobs:owner:${ownerId}`, id);
    const results = (await multi.exec()) ?? [];
    return results[0]?.[1] === 1;
  }
}

function encode(job: Partial<StoredJob>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(job)) {
    out[name] = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
  return out;
}

function decode(raw: Record<string, string> | null | undefined): StoredJob | null {
  if (!raw || !raw.id) return null;
  const orNull = (value: string | undefined) => (value ? value : null);
  return {
    id: raw.id,
    name: raw.name,
    type: raw.type,
    payload: JSON.parse(raw.payload || '{}') as Record<string, unknown>,
    cron: raw.cron,
    timezone: raw.timezone,
    status: raw.status as JobStatus,
    consecutiveFailures: Number(raw.consecutiveFailures || 0),
    ownerId: orNull(raw.ownerId),
    lastRunAt: orNull(raw.lastRunAt),
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
  };
}
