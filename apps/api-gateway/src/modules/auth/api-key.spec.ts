import { bearerToken, displayPrefix, generateApiKey, hashApiKey } from './api-key';

describe('api-key', () => {
  it('should generate distinct sk_ keys of 256 bits', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toEqual(b);
  });

  it('should hash to 64 hex characters and keep only a short prefix for display', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(3, 20));
    expect(displayPrefix(key)).toBe(key.slice(0, 11));
  });

  it('should read only well-formed Bearer headers', () => {
    expect(bearerToken('Bearer sk_abc')).toBe('sk_abc');
    expect(bearerToken('bearer   sk_abc ')).toBe('sk_abc');
    expect(bearerToken('Basic sk_abc')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken(['Bearer sk_abc'])).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken(`Bearer ${'x'.repeat(600)}`)).toBeNull();
  });
});
