import type { LookupAddress } from 'node:dns';
import { isPublicAddress, publicHostLookup, resolvePublicHost, TargetRefusedError } from './public-targets';

describe('public targets', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
    'fd00:ec2::254',
    'fe80::1',
    'ff02::1',
  ])('should refuse the non-public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:1.1.1.1'])('should accept the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('should refuse a name that resolves to loopback, and accept it when private targets are allowed', async () => {
    await expect(resolvePublicHost('localhost', false)).rejects.toThrow(/^localhost resolves to (127\.0\.0\.1|::1), a loopback/);
    await expect(resolvePublicHost('localhost', true)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
    await expect(resolvePublicHost('169.254.169.254', false)).rejects.toMatchObject({ host: '169.254.169.254', address: '169.254.169.254' });
  });

  it('should name a host that does not resolve', async () => {
    await expect(resolvePublicHost('no-such-host.invalid', false)).rejects.toEqual(new TargetRefusedError('no-such-host.invalid', null));
    await expect(resolvePublicHost('no-such-host.invalid', false)).rejects.toThrow('no-such-host.invalid does not resolve');
  });

  it("should answer a connection's lookup with checked addresses only, in the caller's words", async () => {
    const ask = (allowPrivate: boolean, all: boolean) =>
      new Promise<{ error: Error | null; addresses: string | LookupAddress[] }>((resolve) =>
        publicHostLookup(allowPrivate, (refused) => new Error(`refused: ${refused.message}`))('localhost', { all }, (error, addresses) => resolve({ error, addresses })),
      );
    expect((await ask(false, true)).error?.message).toMatch(/^refused: localhost resolves to/);
    expect((await ask(true, true)).addresses).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
    expect((await ask(true, false)).addresses).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
