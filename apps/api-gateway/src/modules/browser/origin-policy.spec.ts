import { OriginPolicy, parseOriginList } from './origin-policy';

describe(OriginPolicy.name, () => {
  it('should allow any port on the listed hosts and nothing else', () => {
    const policy = new OriginPolicy('http://localhost:*, http://127.0.0.1:*');
    expect(policy.allows('http://localhost:5173')).toBe(true);
    expect(policy.allows('http://localhost')).toBe(true);
    expect(policy.allows('http://127.0.0.1:3000')).toBe(true);
    expect(policy.allows('http://localhost.evil.test:5173')).toBe(false);
    expect(policy.allows('http://localhost:5173.evil.test')).toBe(false);
    expect(policy.allows('https://localhost:5173')).toBe(false);
    expect(policy.allows('http://evil.test')).toBe(false);
    expect(policy.allows('null')).toBe(false);
    expect(policy.allows(undefined)).toBe(false);
  });

  it('should match exact origins case-insensitively, and * any origin', () => {
    expect(new OriginPolicy('https://App.example.com').allows('https://app.example.com')).toBe(true);
    expect(new OriginPolicy('https://app.example.com').allows('https://app.example.com:8443')).toBe(false);
    expect(new OriginPolicy('*').allows('https://anything.test')).toBe(true);
    expect(new OriginPolicy('').allows('http://localhost:3000')).toBe(false);
  });

  it('should accept upgrades without an Origin (non-browser clients) and refuse other origins', () => {
    const policy = new OriginPolicy('http://localhost:*');
    expect(policy.acceptsUpgradeFrom(undefined)).toBe(true);
    expect(policy.acceptsUpgradeFrom('http://localhost:8080')).toBe(true);
    expect(policy.acceptsUpgradeFrom('http://evil.test')).toBe(false);
  });

  it('should refuse entries that are not origins', () => {
    expect(() => parseOriginList('localhost:3000')).toThrow('CORS_ORIGINS entry is not an origin: localhost:3000');
    expect(() => parseOriginList('http://a.test/path')).toThrow('CORS_ORIGINS entry is not an origin');
  });
});
