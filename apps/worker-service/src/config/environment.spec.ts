import { InvalidEnvironmentError, validateEnvironment } from '@sandbox/shared';
import { WorkerEnvironment } from './environment';

const valid = { INTERNAL_SERVICE_KEY: 'a-long-enough-internal-key', REDIS_URL: 'redis://127.0.0.1:6379' };

describe(WorkerEnvironment.name, () => {
  it('should leave the language model unset by default, with the agent bounds defaulted', () => {
    const env = validateEnvironment(WorkerEnvironment, valid);
    expect(env.LLM_BASE_URL).toBeUndefined();
    expect(env).toMatchObject({ AGENT_MAX_TURNS: 30, AGENT_TOOL_OUTPUT_MAX_BYTES: 16_384, LLM_TIMEOUT_MS: 300_000 });
  });

  it('should take a model endpoint with its model, and an empty LLM_BASE_URL as unset', () => {
    expect(validateEnvironment(WorkerEnvironment, { ...valid, LLM_BASE_URL: 'http://localhost:11434/v1', LLM_MODEL: 'qwen2.5-coder:7b' })).toMatchObject({ LLM_MODEL: 'qwen2.5-coder:7b' });
    expect(validateEnvironment(WorkerEnvironment, { ...valid, LLM_BASE_URL: '' }).LLM_BASE_URL).toBeUndefined();
  });

  it.each([
    ['LLM_MODEL', { LLM_BASE_URL: 'http://localhost:11434/v1' }, 'LLM_MODEL is required when LLM_BASE_URL is set'],
    ['LLM_BASE_URL', { LLM_BASE_URL: 'localhost:11434', LLM_MODEL: 'm' }, 'LLM_BASE_URL must be an http(s) URL'],
    ['AGENT_MAX_TURNS', { AGENT_MAX_TURNS: '0' }, 'AGENT_MAX_TURNS must be at least 1'],
  ])('should name %s when it is wrong', (_, override, message) => {
    expect(() => validateEnvironment(WorkerEnvironment, { ...valid, ...override })).toThrow(InvalidEnvironmentError);
    expect(() => validateEnvironment(WorkerEnvironment, { ...valid, ...override })).toThrow(message);
  });

  it('should never echo the model key', () => {
    try {
      validateEnvironment(WorkerEnvironment, { ...valid, LLM_BASE_URL: 'nope', LLM_API_KEY: 'sk-very-secret' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(String(error)).not.toContain('sk-very-secret');
    }
  });
});
