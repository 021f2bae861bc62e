import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { WebhookErrors } from '@sandbox/contracts';
import { DomainException, publicHostLookup, resolvePublicHost, TargetRefusedError } from '@sandbox/shared';

/** A refused target in the words of webhooks (a 400 at creation, the recorded error of an attempt). */
function webhookRefusal(error: TargetRefusedError): DomainException {
  return DomainException.badRequest(error.address === null ? WebhookErrors.unresolvable(error.host) : WebhookErrors.privateTarget(error.host, error.address));
}

/**
 * The addresses of a webhook URL's host, each public unless `allowPrivate` (the rule is
 * libs/shared's public-targets, shared with the MCP servers of pipelines). Throws DomainException 400.
 */
export async function resolveWebhookHost(host: string, allowPrivate: boolean): Promise<LookupAddress[]> {
  try {
    return await resolvePublicHost(host, allowPrivate);
  } catch (error) {
    throw error instanceof TargetRefusedError ? webhookRefusal(error) : error;
  }
}

/** The transport's connect-time lookup: checked addresses only, refusals worded as above. */
export const webhookLookup = (allowPrivate: boolean): LookupFunction => publicHostLookup(allowPrivate, webhookRefusal);
