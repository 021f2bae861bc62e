import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { WorkerEnvironment } from './environment';

/** Typed, validated settings of the worker, read once at boot; nothing else in the worker reads process.env. */
@Injectable()
export class WorkerConfig {
  readonly redisUrl: string;
  /** Prefix of every Redis key (BullMQ's and the task records'). */
  readonly prefix: string;
  /** Tasks processed at once by this worker; 0: it only enqueues. */
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly shutdownGraceMs: number;
  readonly taskDefaultMaxAttempts: number;
  readonly taskBackoffMs: number;
  readonly taskPayloadMaxBytes: number;
  readonly taskRetentionCount: number;
  readonly taskRetentionMs: number;
  readonly jobMaxConsecutiveFailures: number;
  readonly previewProbeTimeoutMs: number;
  /** The agent step's model endpoint; `baseUrl` null: no model configured. */
  readonly llm: { baseUrl: string | null; apiKey: string | null; model: string; timeoutMs: number; maxRetries: number };
  readonly agentMaxTurns: number;
  readonly agentToolOutputMaxBytes: number;
  readonly mcpTimeoutMs: number;
  readonly mcpAllowPrivateTargets: boolean;
  readonly runSessionWaitMs: number;
  readonly runStepTimeoutMs: number;
  readonly runCloneTimeoutMs: number;
  readonly runInstallTimeoutMs: number;

  constructor(config: ConfigService<WorkerEnvironment, true>) {
    const get = <K extends keyof WorkerEnvironment>(key: K): WorkerEnvironment[K] => config.get(key, { infer: true });
    this.redisUrl = get('REDIS_URL');
    this.prefix = get('WORKER_QUEUE_PREFIX');
    this.concurrency = get('WORKER_CONCURRENCY');
    this.lockDurationMs = get('WORKER_LOCK_DURATION_MS');
    this.stalledIntervalMs = get('WORKER_STALLED_INTERVAL_MS');
    this.maxStalledCount = get('WORKER_MAX_STALLED_COUNT');
    this.shutdownGraceMs = get('WORKER_SHUTDOWN_GRACE_MS');
    this.taskDefaultMaxAttempts = get('TASK_DEFAULT_MAX_ATTEMPTS');
    this.taskBackoffMs = get('TASK_BACKOFF_MS');
    this.taskPayloadMaxBytes = get('TASK_PAYLOAD_MAX_BYTES');
    this.taskRetentionCount = get('TASK_RETENTION_COUNT');
    this.taskRetentionMs = get('TASK_RETENTION_SECONDS') * 1_000;
    this.jobMaxConsecutiveFailures = get('JOB_MAX_CONSECUTIVE_FAILURES');
    this.previewProbeTimeoutMs = get('PREVIEW_PROBE_TIMEOUT_MS');
    this.llm = {
      baseUrl: get('LLM_BASE_URL') ?? null,
      apiKey: get('LLM_API_KEY') ?? null,
      model: get('LLM_MODEL') ?? '',
      timeoutMs: get('LLM_TIMEOUT_MS'),
      maxRetries: get('LLM_MAX_RETRIES'),
    };
    this.agentMaxTurns = get('AGENT_MAX_TURNS');
    this.agentToolOutputMaxBytes = get('AGENT_TOOL_OUTPUT_MAX_BYTES');
    this.mcpTimeoutMs = get('AGENT_MCP_TIMEOUT_MS');
    this.mcpAllowPrivateTargets = get('MCP_ALLOW_PRIVATE_TARGETS') === 'true';
    this.runSessionWaitMs = get('RUN_SESSION_WAIT_MS');
    this.runStepTimeoutMs = get('RUN_STEP_TIMEOUT_MS');
    this.runCloneTimeoutMs = get('RUN_CLONE_TIMEOUT_MS');
    this.runInstallTimeoutMs = get('RUN_INSTALL_TIMEOUT_MS');
  }
}
