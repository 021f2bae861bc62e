import { resolveWebhookHost } from './webhook-target.policy';

describe('webhook target policy', () => {
  it('should refuse a name that resolves to loopback in the words of webhooks, and accept it when private targets are allowed', async () => {
    await expect(resolveWebhookHost('localhost', false)).rejects.toThrow(/^Webhook URL host localhost resolves to (127\.0\.0\.1|::1), a loopback.*WEBHOOK_ALLOW_PRIVATE_TARGETS=true/);
    await expect(resolveWebhookHost('localhost', true)).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]));
  });

  it('should name a host that does not resolve', async () => {
    await expect(resolveWebhookHost('no-such-host.invalid', false)).rejects.toThrow('Webhook URL host no-such-host.invalid does not resolve');
  });
});
