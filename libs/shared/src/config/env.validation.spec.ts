import { BaseEnvironment } from './base-env';
import { InvalidEnvironmentError, validateEnvironment } from './env.validation';

const valid = { PORT: '4100', INTERNAL_SERVICE_KEY: 'a-long-enough-internal-key' };

describe(validateEnvironment.name, () => {
  it('should return typed values with defaults filled in', () => {
    const env = validateEnvironment(BaseEnvironment, valid);
    expect(env.PORT).toBe(4100);
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.API_GATEWAY_URL).toBe('http://localhost:4000');
  });

  it.each([
    ['PORT', { PORT: 'not-a-number' }],
    ['PORT', { PORT: '70000' }],
    ['INTERNAL_SERVICE_KEY', { INTERNAL_SERVICE_KEY: 'short' }],
    ['INTERNAL_SERVICE_KEY', { INTERNAL_SERVICE_KEY: undefined }],
    ['WORKER_SERVICE_URL', { WORKER_SERVICE_URL: 'localhost:4001' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['HOST', { HOST: 'example.com' }],
  ])('should name %s when it is malformed or missing', (variable, override) => {
    const attempt = () => validateEnvironment(BaseEnvironment, { ...valid, ...override });
    expect(attempt).toThrow(InvalidEnvironmentError);
    expect(attempt).toThrow(new RegExp(`^  - ${variable}: `, 'm'));
  });

  it('should never echo a secret value in its message', () => {
    try {
      validateEnvironment(BaseEnvironment, { ...valid, INTERNAL_SERVICE_KEY: 'tiny-secret' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(String(error)).not.toContain('tiny-secret');
    }
  });

  it('should treat an empty variable as unset', () => {
    expect(validateEnvironment(BaseEnvironment, { ...valid, LOG_LEVEL: '' }).LOG_LEVEL).toBe('info');
  });
});
