import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { parseInternalKeys } from '@sandbox/shared';
import type { ManagerEnvironment } from './environment';

/** Typed, validated settings of the container-manager, read once at boot. */
@Injectable()
export class ManagerConfig {
  readonly dataDir: string;
  /** Search path of the host commands the manager runs (git, find). */
  readonly hostPath: string;
  /** bubblewrap, which confines every git process to the session's volume. */
  readonly bwrapBinary: string;
  /** Accepted internal service keys (several while keys rotate). */
  readonly internalKeys: string[];
  readonly previewDomain: string;
  /** Port in the preview URLs handed out: PREVIEW_PUBLIC_PORT, or the manager's own port. */
  readonly previewPublicPort: number;
  readonly dockerHost: string;
  /** Image of the built-in `base` template. */
  readonly defaultImage: string;
  /** Image of the built-in `dev` template. */
  readonly devImage: string;
  readonly defaultTemplate: string;
  readonly templateBuildTimeoutMs: number;
  readonly templateMaxSizeBytes: number;
  readonly templateBuildLogMaxBytes: number;
  readonly network: string;
  readonly testLabel: boolean;
  readonly managerId: string;
  readonly defaultMemoryMb: number;
  readonly maxMemoryMb: number;
  readonly defaultCpu: number;
  readonly maxCpu: number;
  readonly pidsLimit: number;
  readonly tmpfsMb: number;
  /** Size of each workspace's own filesystem; 0: plain directories, no quota. */
  readonly workspaceQuotaMb: number;
  /** Files above this size are left out of checkpoints; 0: no limit. */
  readonly checkpointMaxFileBytes: number;
  readonly gitDiffMaxBytes: number;
  readonly gitCommandTimeoutMs: number;
  /** A session's git host is closed after this long without a git command. */
  readonly gitHostIdleMs: number;
  /** Auto-checkpoints: quiet time that ends a burst of changes, and the longest a burst may go uncommitted. */
  readonly autoCommit: { debounceMs: number; maxWaitMs: number };
  /** Lifecycle deadlines of sessions without their own (0: off); docs/lifecycle.md. */
  readonly lifecycleDefaults: { idleTimeoutMs: number; pausedStopMs: number; maxLifetimeMs: number };
  readonly lifecycleCheckMs: number;
  readonly reconcileIntervalMs: number;
  readonly usageCacheMs: number;
  readonly logMaxSize: string;
  readonly stopTimeoutS: number;
  readonly execDefaultTimeoutMs: number;
  readonly execMaxTimeoutMs: number;
  readonly execOutputLimitBytes: number;
  readonly fileMaxBytes: number;
  readonly outboxBaseDelayMs: number;
  readonly outboxMaxDelayMs: number;
  readonly outboxPollMs: number;
  readonly outboxRetentionMs: number;
  readonly outboxPruneIntervalMs: number;
  /** The in-sandbox agent binary; null: sandboxes run without it. */
  readonly agentBinary: string | null;
  readonly agentReadyTimeoutMs: number;
  readonly watchMaxDirs: number;
  readonly commandRingBytes: number;
  readonly warmPool: { size: number; templates: string[]; maxAgeMs: number };

  constructor(config: ConfigService<ManagerEnvironment, true>) {
    const get = <K extends keyof ManagerEnvironment>(key: K): ManagerEnvironment[K] => config.get(key, { infer: true });
    this.dataDir = get('DATA_DIR');
    this.hostPath = get('PATH');
    this.bwrapBinary = get('BWRAP_BINARY');
    this.internalKeys = parseInternalKeys(get('INTERNAL_SERVICE_KEY'));
    this.previewDomain = get('PREVIEW_DOMAIN');
    this.previewPublicPort = get('PREVIEW_PUBLIC_PORT') || get('PORT');
    this.dockerHost = get('DOCKER_HOST');
    this.defaultImage = get('SANDBOX_IMAGE');
    this.devImage = get('SANDBOX_DEV_IMAGE');
    this.defaultTemplate = get('SANDBOX_DEFAULT_TEMPLATE');
    this.templateBuildTimeoutMs = get('TEMPLATE_BUILD_TIMEOUT_MS');
    this.templateMaxSizeBytes = get('TEMPLATE_MAX_SIZE_MB') * 1024 * 1024;
    this.templateBuildLogMaxBytes = get('TEMPLATE_BUILD_LOG_MAX_BYTES');
    this.network = get('SANDBOX_NETWORK');
    this.testLabel = get('SANDBOX_TEST_LABEL') === 'true';
    this.managerId = get('SANDBOX_MANAGER_ID') || createHash('sha256').update(this.dataDir).digest('hex').slice(0, 16);
    this.defaultMemoryMb = get('SANDBOX_DEFAULT_MEMORY_MB');
    this.maxMemoryMb = Math.max(get('SANDBOX_MAX_MEMORY_MB'), this.defaultMemoryMb);
    this.defaultCpu = get('SANDBOX_DEFAULT_CPU');
    this.maxCpu = Math.max(get('SANDBOX_MAX_CPU'), this.defaultCpu);
    this.pidsLimit = get('SANDBOX_PIDS_LIMIT');
    this.tmpfsMb = get('SANDBOX_TMPFS_MB');
    this.workspaceQuotaMb = get('WORKSPACE_QUOTA_MB');
    this.checkpointMaxFileBytes = get('GIT_CHECKPOINT_MAX_FILE_MB') * 1024 * 1024;
    this.gitDiffMaxBytes = get('GIT_DIFF_MAX_BYTES');
    this.gitCommandTimeoutMs = get('GIT_COMMAND_TIMEOUT_MS');
    this.gitHostIdleMs = get('GIT_HOST_IDLE_MS');
    const debounceMs = get('GIT_AUTOCOMMIT_DEBOUNCE_MS');
    this.autoCommit = { debounceMs, maxWaitMs: Math.max(get('GIT_AUTOCOMMIT_MAX_WAIT_MS'), debounceMs) };
    this.logMaxSize = get('SANDBOX_LOG_MAX_SIZE');
    this.stopTimeoutS = get('SANDBOX_STOP_TIMEOUT_S');
    this.execMaxTimeoutMs = get('EXEC_MAX_TIMEOUT_MS');
    this.execDefaultTimeoutMs = Math.min(get('EXEC_DEFAULT_TIMEOUT_MS'), this.execMaxTimeoutMs);
    this.execOutputLimitBytes = get('EXEC_OUTPUT_LIMIT_BYTES');
    this.fileMaxBytes = get('FILE_MAX_BYTES');
    this.outboxBaseDelayMs = get('OUTBOX_BACKOFF_BASE_MS');
    this.outboxMaxDelayMs = Math.max(get('GATEWAY_NOTIFY_MAX_DELAY_MS'), this.outboxBaseDelayMs);
    this.outboxPollMs = get('OUTBOX_POLL_MS');
    this.lifecycleDefaults = { idleTimeoutMs: get('SESSION_IDLE_TIMEOUT_MS'), pausedStopMs: get('SESSION_PAUSED_STOP_MS'), maxLifetimeMs: get('SESSION_MAX_LIFETIME_MS') };
    this.lifecycleCheckMs = get('SESSION_LIFECYCLE_CHECK_MS');
    this.reconcileIntervalMs = get('SESSION_RECONCILE_INTERVAL_MS');
    this.usageCacheMs = get('SESSION_USAGE_CACHE_MS');
    this.outboxRetentionMs = get('OUTBOX_RETENTION_MS');
    this.outboxPruneIntervalMs = get('OUTBOX_PRUNE_INTERVAL_MS');
    this.agentBinary = get('SANDBOX_AGENT_BINARY') || null;
    this.agentReadyTimeoutMs = get('SANDBOX_AGENT_READY_MS');
    this.watchMaxDirs = get('SANDBOX_WATCH_MAX_DIRS');
    this.commandRingBytes = get('COMMAND_OUTPUT_RING_BYTES');
    this.warmPool = {
      size: get('WARM_POOL_SIZE'),
      templates: get('WARM_POOL_TEMPLATES').split(',').filter((name) => name.length > 0),
      maxAgeMs: get('WARM_POOL_MAX_AGE_MS'),
    };
  }
}
