/** Events a webhook can subscribe to (docs/webhooks.md). */
export const WEBHOOK_EVENT_TYPES = [
  'session.created',
  'session.started',
  'session.stopped',
  'session.paused',
  'session.error',
  'session.deleted',
  'checkpoint.created',
  'run.completed',
  'run.failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What a delivery is: waiting for its (next) attempt, acknowledged with a 2xx, or given up. */
export enum WebhookDeliveryStatus {
  Pending = 'PENDING',
  Delivered = 'DELIVERED',
  Failed = 'FAILED',
}

export const WEBHOOK_URL_MAX_LENGTH = 2048;
export const WEBHOOK_MAX_EVENT_PATTERNS = 20;
export const WEBHOOK_MAX_PER_USER = 25;
/** Bytes of a receiver's response body kept with a delivery's outcome. */
export const WEBHOOK_RESPONSE_EXCERPT_BYTES = 512;

const groups = new Set(WEBHOOK_EVENT_TYPES.map((type) => type.split('.')[0]));

/** An event type, `<group>.*` for every event of a group (`session.*`), or `*` for all events. */
export function isWebhookEventPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return groups.has(pattern.slice(0, -2));
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(pattern);
}

export function webhookPatternMatches(pattern: string, type: WebhookEventType): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export const WebhookErrors = {
  unknownEvent: (pattern: string) =>
    `Unknown webhook event "${pattern}": use one of ${WEBHOOK_EVENT_TYPES.join(', ')}, a group such as session.*, or *`,
  invalidUrl: 'Webhook URL must be an absolute http(s) URL without credentials',
  urlTooLong: `Webhook URL must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`,
  events: `events must list 1 to ${WEBHOOK_MAX_EVENT_PATTERNS} event types or patterns`,
  tooMany: `At most ${WEBHOOK_MAX_PER_USER} webhooks per user; delete one first`,
  unresolvable: (host: string) => `Webhook URL host ${host} does not resolve`,
  privateTarget: (host: string, address: string) =>
    `Webhook URL host ${host} resolves to ${address}, a loopback, private, link-local or otherwise non-public address; webhooks may only target public addresses (set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow them, for local development only)`,
  notFound: (id: string) => `Webhook ${id} not found`,
} as const;
