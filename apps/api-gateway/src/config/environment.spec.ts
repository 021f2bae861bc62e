import { DEFAULT_TEMPLATE } from '@sandbox/contracts';
import { InvalidEnvironmentError, validateEnvironment } from '@sandbox/shared';
import { GatewayEnvironment } from './environment';

const valid = { INTERNAL_SERVICE_KEY: 'a-long-enough-internal-key', DATABASE_URL: 'postgresql://sandbox@127.0.0.1:5432/sandbox' };

describe(GatewayEnvironment.name, () => {
  it('should fill in the documented defaults', () => {
    expect(validateEnvironment(GatewayEnvironment, valid)).toMatchObject({
      PORT: 4000,
      SANDBOX_DEFAULT_TEMPLATE: DEFAULT_TEMPLATE,
      THROTTLE_LIMIT: 600,
      THROTTLE_TTL_MS: 60_000,
      AUTH_FAILURE_LIMIT: 30,
      AUTH_FAILURE_WINDOW_MS: 60_000,
      CORS_ORIGINS: '',
      CONSOLE_DIR: 'dist/console',
      PENDING_SESSION_TIMEOUT_MS: 180_000,
      PENDING_SWEEP_INTERVAL_MS: 60_000,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
      MCP_ALLOW_PRIVATE_TARGETS: 'false',
      WEBHOOK_MAX_ATTEMPTS: 10,
      WEBHOOK_RETRY_BASE_MS: 10_000,
      WEBHOOK_RETRY_MAX_MS: 3_600_000,
      WEBHOOK_TIMEOUT_MS: 10_000,
      WEBHOOK_POLL_INTERVAL_MS: 1_000,
      RUN_EVENT_RETENTION_MS: 604_800_000,
      RUN_SWEEP_INTERVAL_MS: 30_000,
      RUN_STALL_AFTER_MS: 60_000,
      RUN_EVENT_POLL_MS: 1_000,
      RUN_EVENT_WATCHER_BUFFER: 2_000,
      RUN_TASK_MAX_ATTEMPTS: 3,
      CONNECT_GRPC_PORT: 0,
    });
    expect(validateEnvironment(GatewayEnvironment, valid).DEV_API_KEY).toBeUndefined();
  });

  it('should take numbers from their text and keep the given values', () => {
    const env = validateEnvironment(GatewayEnvironment, { ...valid, THROTTLE_LIMIT: '3', CONNECT_GRPC_PORT: '50051', CORS_ORIGINS: 'http://localhost:*' });
    expect(env).toMatchObject({ THROTTLE_LIMIT: 3, CONNECT_GRPC_PORT: 50_051, CORS_ORIGINS: 'http://localhost:*' });
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: undefined }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://127.0.0.1/sandbox' }],
    ['DEV_API_KEY', { DEV_API_KEY: 'too-short' }],
    ['SANDBOX_DEFAULT_TEMPLATE', { SANDBOX_DEFAULT_TEMPLATE: 'Not A Name' }],
    ['THROTTLE_LIMIT', { THROTTLE_LIMIT: '0' }],
    ['THROTTLE_TTL_MS', { THROTTLE_TTL_MS: '999' }],
    ['THROTTLE_TTL_MS', { THROTTLE_TTL_MS: '3600001' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'app.example.com' }],
    ['WEBHOOK_ALLOW_PRIVATE_TARGETS', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' }],
    ['MCP_ALLOW_PRIVATE_TARGETS', { MCP_ALLOW_PRIVATE_TARGETS: '1' }],
    ['WEBHOOK_MAX_ATTEMPTS', { WEBHOOK_MAX_ATTEMPTS: '51' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: '99' }],
    ['WEBHOOK_POLL_INTERVAL_MS', { WEBHOOK_POLL_INTERVAL_MS: 'often' }],
    ['RUN_EVENT_RETENTION_MS', { RUN_EVENT_RETENTION_MS: '59999' }],
    ['RUN_EVENT_POLL_MS', { RUN_EVENT_POLL_MS: '60001' }],
    ['RUN_EVENT_WATCHER_BUFFER', { RUN_EVENT_WATCHER_BUFFER: '0' }],
    ['RUN_TASK_MAX_ATTEMPTS', { RUN_TASK_MAX_ATTEMPTS: '21' }],
    ['CONNECT_GRPC_PORT', { CONNECT_GRPC_PORT: '65536' }],
  ])('should refuse to boot naming %s when it is wrong', (variable, override) => {
    const attempt = () => validateEnvironment(GatewayEnvironment, { ...valid, ...override });
    expect(attempt).toThrow(InvalidEnvironmentError);
    expect(attempt).toThrow(new RegExp(`^  - ${variable}: `, 'm'));
  });

  it('should never echo the database URL or the development key', () => {
    try {
      validateEnvironment(GatewayEnvironment, { ...valid, DATABASE_URL: 'mysql://user:db-secret@host/db', DEV_API_KEY: 'dev-secret' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(String(error)).toMatch(/DATABASE_URL.*\n.*DEV_API_KEY|DEV_API_KEY.*\n.*DATABASE_URL/);
      expect(String(error)).not.toContain('db-secret');
      expect(String(error)).not.toContain('dev-secret');
    }
  });
});
