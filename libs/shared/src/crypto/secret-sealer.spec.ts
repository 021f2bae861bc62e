import { SecretSealer } from './secret-sealer';

describe(SecretSealer.name, () => {
  const oldKey = 'old-internal-key-0123456789';
  const newKey = 'new-internal-key-0123456789';

  it('should open what it sealed, and never store the plaintext', () => {
    const sealer = new SecretSealer(oldKey, 'webhooks');
    const sealed = sealer.seal('whsec_c2VjcmV0');
    expect(sealed).not.toContain('whsec_');
    expect(sealer.open(sealed)).toBe('whsec_c2VjcmV0');
    expect(sealer.seal('same')).not.toBe(sealer.seal('same'));
  });

  it('should open values sealed under an older key while it is still listed, and tell they need re-sealing', () => {
    const sealed = new SecretSealer(oldKey, 'webhooks').seal('s');
    const rotated = new SecretSealer(`${newKey},${oldKey}`, 'webhooks');
    expect(rotated.open(sealed)).toBe('s');
    expect(rotated.isCurrent(sealed)).toBe(false);
    expect(rotated.isCurrent(rotated.seal('s'))).toBe(true);
    expect(() => new SecretSealer(newKey, 'webhooks').open(sealed)).toThrow('no longer configured');
  });

  it('should refuse an altered value and a value sealed for another purpose', () => {
    const sealer = new SecretSealer(oldKey, 'webhooks');
    const sealed = sealer.seal('secret');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => sealer.open(parts.join('.'))).toThrow();
    expect(() => new SecretSealer(oldKey, 'repository-tokens').open(sealed)).toThrow();
  });
});
