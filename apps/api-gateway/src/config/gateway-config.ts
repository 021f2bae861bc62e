import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GatewayEnvironment } from './environment';

/** Typed, validated settings of the api-gateway, read once at boot; nothing else in the gateway reads the environment. */
@Injectable()
export class GatewayConfig {
  readonly databaseUrl: string;
  /** INTERNAL_SERVICE_KEY as given (one key, or several while keys rotate): secrets are sealed under keys derived from it. */
  readonly internalServiceKey: string;
  /** The known development key ensured at boot for the user `dev`; null: none (a key is made on an empty database). */
  readonly devApiKey: string | null;
  /** Template of new sessions when createSession names none. */
  readonly defaultTemplate: string;
  /** Operations allowed per API key in each window. */
  readonly throttle: { limit: number; ttlMs: number };
  /** Failed authentications allowed per client address in each window. */
  readonly authFailures: { limit: number; windowMs: number };
  /** Browser origins allowed (CORS and graphql-ws upgrades), as CORS_ORIGINS lists them. */
  readonly corsOrigins: string;
  /** The built web console served at /console, relative to the working directory. */
  readonly consoleDir: string;
  /** A session still PENDING after `timeoutMs` is checked against the container-manager, every `sweepIntervalMs`. */
  readonly pendingSessions: { timeoutMs: number; sweepIntervalMs: number };
  /** Webhook targets and deliveries (docs/webhooks.md). */
  readonly webhooks: {
    allowPrivateTargets: boolean;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** Bound of each delivery request (connect, headers and body each). */
    timeoutMs: number;
    pollIntervalMs: number;
  };
  /** Pipelines may name MCP servers on loopback, private and link-local addresses. */
  readonly mcpAllowPrivateTargets: boolean;
  /** Runs, their events and their sweeper (docs/runs.md). */
  readonly runs: {
    taskMaxAttempts: number;
    eventRetentionMs: number;
    sweepIntervalMs: number;
    stallAfterMs: number;
    eventPollMs: number;
    /** Events the shared live reader holds for one watcher before detaching it. */
    eventWatcherBuffer: number;
  };
  /** The h2c listener of the Connect services (gRPC protocol too); null: off. */
  readonly connectGrpc: { host: string; port: number } | null;

  constructor(config: ConfigService<GatewayEnvironment, true>) {
    const get = <K extends keyof GatewayEnvironment>(key: K): GatewayEnvironment[K] => config.get(key, { infer: true });
    this.databaseUrl = get('DATABASE_URL');
    this.internalServiceKey = get('INTERNAL_SERVICE_KEY');
    this.devApiKey = get('DEV_API_KEY') || null;
    this.defaultTemplate = get('SANDBOX_DEFAULT_TEMPLATE');
    this.throttle = { limit: get('THROTTLE_LIMIT'), ttlMs: get('THROTTLE_TTL_MS') };
    this.authFailures = { limit: get('AUTH_FAILURE_LIMIT'), windowMs: get('AUTH_FAILURE_WINDOW_MS') };
    this.corsOrigins = get('CORS_ORIGINS');
    this.consoleDir = get('CONSOLE_DIR');
    this.pendingSessions = { timeoutMs: get('PENDING_SESSION_TIMEOUT_MS'), sweepIntervalMs: get('PENDING_SWEEP_INTERVAL_MS') };
    this.webhooks = {
      allowPrivateTargets: get('WEBHOOK_ALLOW_PRIVATE_TARGETS') === 'true',
      maxAttempts: get('WEBHOOK_MAX_ATTEMPTS'),
      retryBaseMs: get('WEBHOOK_RETRY_BASE_MS'),
      retryMaxMs: get('WEBHOOK_RETRY_MAX_MS'),
      timeoutMs: get('WEBHOOK_TIMEOUT_MS'),
      pollIntervalMs: get('WEBHOOK_POLL_INTERVAL_MS'),
    };
    this.mcpAllowPrivateTargets = get('MCP_ALLOW_PRIVATE_TARGETS') === 'true';
    this.runs = {
      taskMaxAttempts: get('RUN_TASK_MAX_ATTEMPTS'),
      eventRetentionMs: get('RUN_EVENT_RETENTION_MS'),
      sweepIntervalMs: get('RUN_SWEEP_INTERVAL_MS'),
      stallAfterMs: get('RUN_STALL_AFTER_MS'),
      eventPollMs: get('RUN_EVENT_POLL_MS'),
      eventWatcherBuffer: get('RUN_EVENT_WATCHER_BUFFER'),
    };
    const grpcPort = get('CONNECT_GRPC_PORT');
    this.connectGrpc = grpcPort === 0 ? null : { host: get('HOST'), port: grpcPort };
  }
}
