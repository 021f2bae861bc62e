import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { WEBHOOK_RESPONSE_EXCERPT_BYTES } from '@sandbox/contracts';
import { hostOf } from '@sandbox/shared';
import { resolveWebhookHost, webhookLookup } from './webhook-target.policy';
import { GatewayConfig } from '../../config/gateway-config';

export interface WebhookResponse {
  statusCode: number;
  /** The start of the body, at most WEBHOOK_RESPONSE_EXCERPT_BYTES; the rest is never read. */
  excerpt: string;
}

/**
 * POSTs deliveries. Every connection goes to an address checked at connect time by the Agent's own
 * lookup (so a name that resolved to a public address when the webhook was created cannot be
 * re-pointed at a private one later: DNS rebinding), redirects are not followed (undici follows
 * none without its redirect interceptor), and each request is bounded by WEBHOOK_TIMEOUT_MS.
 */
@Injectable()
export class WebhookTransportRepository implements OnModuleDestroy {
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly agent: Agent;

  constructor(config: GatewayConfig) {
    this.allowPrivate = config.webhooks.allowPrivateTargets;
    this.timeoutMs = config.webhooks.timeoutMs;
    this.agent = new Agent({
      connect: { lookup: webhookLookup(this.allowPrivate), timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<WebhookResponse> {
    const target = new URL(url);
    // An IP literal is connected to without any lookup: check it here.
    if (isIP(hostOf(target)) !== 0) await resolveWebhookHost(hostOf(target), this.allowPrivate);
    const response = await request(target, {
      method: 'POST',
      headers,
      body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= WEBHOOK_RESPONSE_EXCERPT_BYTES) break; // leaving the loop destroys the rest of the body
    }
    return { statusCode: response.statusCode, excerpt: Buffer.concat(chunks).subarray(0, WEBHOOK_RESPONSE_EXCERPT_BYTES).toString('utf8') };
  }
}
