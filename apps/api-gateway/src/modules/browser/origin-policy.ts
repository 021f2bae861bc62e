/**
 * Which browser origins may call the gateway (CORS_ORIGINS): a comma list of exact origins
 * (`https://app.example.com`), origins with any port (`http://localhost:*`), or `*` for any origin.
 * Credentials are never allowed cross-origin: API keys travel in the Authorization header.
 */
export const ORIGIN_ENTRY_PATTERN = /^(\*|https?:\/\/(\[[0-9a-f:]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?)$/i;

/** What `npm start` allows for local development: any port on localhost and 127.0.0.1. */
export const DEVELOPMENT_CORS_ORIGINS = 'http://localhost:*,http://127.0.0.1:*';

type Rule = { kind: 'any' } | { kind: 'exact'; origin: string } | { kind: 'any-port'; prefix: string };

export class OriginPolicy {
  private readonly rules: Rule[];

  constructor(list: string) {
    this.rules = parseOriginList(list);
  }

  /** True when a browser page on `origin` may call the gateway. */
  allows(origin: string | undefined): boolean {
    if (!origin) return false;
    const candidate = origin.toLowerCase();
    return this.rules.some((rule) => {
      switch (rule.kind) {
        case 'any':
          return true;
        case 'exact':
          return candidate === rule.origin;
        case 'any-port':
          return candidate === rule.prefix || (candidate.startsWith(`${rule.prefix}:`) && /^\d{1,5}$/.test(candidate.slice(rule.prefix.length + 1)));
      }
    });
  }

  /** A request without an Origin header is not a cross-origin browser request (curl, SDKs, servers). */
  acceptsUpgradeFrom(origin: string | undefined): boolean {
    return origin === undefined || this.allows(origin);
  }
}

export function parseOriginList(list: string): Rule[] {
  return list
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0)
    .map((entry): Rule => {
      if (!ORIGIN_ENTRY_PATTERN.test(entry)) throw new Error(`CORS_ORIGINS entry is not an origin: ${entry}`);
      if (entry === '*') return { kind: 'any' };
      if (entry.endsWith(':*')) return { kind: 'any-port', prefix: entry.slice(0, -2) };
      return { kind: 'exact', origin: entry };
    });
}

/** For the environment's validation: a string that parseOriginList accepts. */
export function isOriginList(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    parseOriginList(value);
    return true;
  } catch {
    return false;
  }
}
