import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { INTERNAL_KEY_HEADER } from '@sandbox/contracts';

/** Which of the three public forms a request came through; it decides whose cookies it carries. */
export type PreviewForm = 'host' | 'path' | 'internal';

export const PREVIEW_TOKEN_HEADER = 'x-preview-token';
export const PREVIEW_TOKEN_QUERY = 'preview_token';
export const PREVIEW_TOKEN_COOKIE = 'sandbox_preview_token';

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies still see. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/**
 * Never forwarded to a sandbox: platform credentials, client-supplied forwarding claims, and `Expect`
 * (the manager's server already answered `100 Continue`; the body follows either way).
 */
const ALWAYS_STRIPPED = new Set([
  'expect',
  INTERNAL_KEY_HEADER,
  PREVIEW_TOKEN_HEADER,
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
]);

export interface ForwardContext {
  form: PreviewForm;
  /** Client address as seen by the manager's socket. */
  remoteAddress: string;
  protocol: 'http' | 'https';
  /** Path prefix the client used (path/internal forms), so apps can build absolute links. */
  prefix?: string;
  /** Set for WebSocket handshakes: `Connection`/`Upgrade` are re-added after hop-by-hop removal. */
  upgrade?: string;
}

/**
 * Names listed in `Connection` are hop-by-hop for this message too (RFC 9110 §7.6.1). Null when nothing
 * beyond `keep-alive` (hop-by-hop anyway) is listed: the common case allocates no Set.
 */
function connectionListed(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  let listed: Set<string> | null = null;
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = part.trim().toLowerCase();
    if (!name || name === 'keep-alive') continue;
    (listed ??= new Set()).add(name);
  }
  return listed;
}

/**
 * Headers sent to the sandbox. On the path and internal forms the request shares the platform's
 * origin, so its cookies and `Authorization` are the platform's and are dropped; on the host form
 * they belong to the preview's own origin and pass, except our token cookie.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, context: ForwardContext): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection);
  const sharesPlatformOrigin = context.form !== 'host';
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || ALWAYS_STRIPPED.has(name) || listed?.has(name)) continue;
    if (sharesPlatformOrigin && (name === 'cookie' || name === 'authorization')) continue;
    if (name === 'cookie') {
      const cookie = withoutTokenCookie(headers.cookie);
      if (cookie) out.cookie = cookie;
      continue;
    }
    out[name] = headers[name];
  }
  out['x-forwarded-for'] = context.remoteAddress;
  out['x-forwarded-proto'] = context.protocol;
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host;
  if (context.prefix) out['x-forwarded-prefix'] = context.prefix;
  if (context.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = context.upgrade;
  }
  return out;
}

function withoutTokenCookie(cookie: string | undefined): string | undefined {
  if (!cookie || !cookie.includes(PREVIEW_TOKEN_COOKIE)) return cookie;
  const kept = cookie
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0 && part.split('=', 1)[0].trim() !== PREVIEW_TOKEN_COOKIE);
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(cookie: string | undefined, name: string): string | undefined {
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Headers sent back to the client: hop-by-hop fields removed and every `Set-Cookie` confined to the
 * preview. A `Domain` attribute is dropped (host-only cookie: a sandbox can't set cookies for the
 * platform's domain or a sibling preview), and on the path forms the `Path` is pinned under the
 * session's prefix so the cookie never reaches platform routes.
 */
export function clientResponseHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, context: Pick<ForwardContext, 'form' | 'prefix' | 'upgrade'>): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    if (name === 'set-cookie') {
      const cookies = confineSetCookies(headers['set-cookie'], context);
      if (cookies.length > 0) out['set-cookie'] = cookies;
      continue;
    }
    out[name] = headers[name];
  }
  if (context.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = context.upgrade;
  }
  return out;
}

/** `Set-Cookie` arrives as an array from node:http and as a string from undici when there is only one. */
function confineSetCookies(values: string | string[] | undefined, context: Pick<ForwardContext, 'form' | 'prefix'>): string[] {
  const confined: string[] = [];
  for (const value of typeof values === 'string' ? [values] : (values ?? [])) {
    const cookie = confineSetCookie(value, context);
    if (cookie !== null) confined.push(cookie);
  }
  return confined;
}

export function confineSetCookie(value: string, context: Pick<ForwardContext, 'form' | 'prefix'>): string | null {
  const [pair, ...attributes] = value.split(';');
  const name = pair.split('=', 1)[0].trim();
  // The sandbox may not forge or clear the platform's token cookie.
  if (name === PREVIEW_TOKEN_COOKIE) return null;
  const kept: string[] = [];
  let path = '/';
  for (const attribute of attributes) {
    const key = attribute.split('=', 1)[0].trim().toLowerCase();
    if (key === 'domain') continue;
    if (key === 'path') {
      const eq = attribute.indexOf('=');
      path = eq >= 0 ? attribute.slice(eq + 1).trim() || '/' : '/';
      continue;
    }
    kept.push(attribute.trim());
  }
  const scopedPath = context.form === 'host' || !context.prefix ? path : `${context.prefix}${path.startsWith('/') ? path : `/${path}`}`;
  return [pair.trim(), `Path=${scopedPath}`, ...kept.filter((attribute) => attribute.length > 0)].join('; ');
}
