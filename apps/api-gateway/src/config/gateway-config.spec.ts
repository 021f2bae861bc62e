import { ConfigService } from '@nestjs/config';
import { validateEnvironment } from '@sandbox/shared';
import { GatewayEnvironment } from './environment';
import { GatewayConfig } from './gateway-config';

const valid = { INTERNAL_SERVICE_KEY: 'first-internal-key-0001, second-internal-key-0002', DATABASE_URL: 'postgresql://sandbox@127.0.0.1:5432/sandbox' };

/** As at boot: the validated environment behind a ConfigService. */
const configOf = (raw: Record<string, string> = {}) => new GatewayConfig(new ConfigService(validateEnvironment(GatewayEnvironment, { ...valid, ...raw })));

describe(GatewayConfig.name, () => {
  it('should group the validated defaults by the part of the gateway that uses them', () => {
    const config = configOf();
    expect(config).toMatchObject({
      databaseUrl: valid.DATABASE_URL,
      internalServiceKey: valid.INTERNAL_SERVICE_KEY,
      throttle: { limit: 600, ttlMs: 60_000 },
      authFailures: { limit: 30, windowMs: 60_000 },
      corsOrigins: '',
      consoleDir: 'dist/console',
      pendingSessions: { timeoutMs: 180_000, sweepIntervalMs: 60_000 },
      webhooks: { allowPrivateTargets: false, maxAttempts: 10, retryBaseMs: 10_000, retryMaxMs: 3_600_000, timeoutMs: 10_000, pollIntervalMs: 1_000 },
      mcpAllowPrivateTargets: false,
      runs: { taskMaxAttempts: 3, eventRetentionMs: 604_800_000, sweepIntervalMs: 30_000, stallAfterMs: 60_000, eventPollMs: 1_000, eventWatcherBuffer: 2_000 },
      connectGrpc: null,
    });
  });

  it('should turn the true/false switches into booleans', () => {
    const config = configOf({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', MCP_ALLOW_PRIVATE_TARGETS: 'true' });
    expect(config.webhooks.allowPrivateTargets).toBe(true);
    expect(config.mcpAllowPrivateTargets).toBe(true);
  });

  it('should open the gRPC listener on HOST only when CONNECT_GRPC_PORT is set', () => {
    expect(configOf({ CONNECT_GRPC_PORT: '0', HOST: '127.0.0.2' }).connectGrpc).toBeNull();
    expect(configOf({ CONNECT_GRPC_PORT: '50051', HOST: '127.0.0.2' }).connectGrpc).toEqual({ host: '127.0.0.2', port: 50_051 });
  });

  it('should carry the values given over the defaults', () => {
    const config = configOf({
      DEV_API_KEY: 'a-development-key-0001',
      SANDBOX_DEFAULT_TEMPLATE: 'dev',
      THROTTLE_LIMIT: '3',
      THROTTLE_TTL_MS: '1000',
      AUTH_FAILURE_LIMIT: '5',
      CORS_ORIGINS: 'http://localhost:*',
      WEBHOOK_TIMEOUT_MS: '2000',
      RUN_TASK_MAX_ATTEMPTS: '7',
    });
    expect(config).toMatchObject({
      devApiKey: 'a-development-key-0001',
      defaultTemplate: 'dev',
      throttle: { limit: 3, ttlMs: 1_000 },
      authFailures: { limit: 5 },
      corsOrigins: 'http://localhost:*',
      webhooks: { timeoutMs: 2_000 },
      runs: { taskMaxAttempts: 7 },
    });
  });
});
