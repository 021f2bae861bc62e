import { isSessionId, SESSION_ID_MESSAGE } from '@sandbox/contracts';
import type { PreviewForm } from './preview-headers';
import { PREVIEW_TOKEN_QUERY } from './preview-headers';

export const PATH_PREFIX = '/previews/';
export const INTERNAL_PREFIX = '/internal-previews/proxy/';

/** A request addressed to a preview: which session, which port (host form only) and the path to send. */
export interface PreviewRequest {
  form: PreviewForm;
  sessionId: string;
  /** Only the host form names a port; the others use the session's most recent registration. */
  port?: number;
  /** Path and query sent upstream (prefix removed on the path forms). */
  path: string;
  /** The prefix the client used on the path forms, e.g. `/previews/<id>`. */
  prefix?: string;
  /**
   * Path form without the slash after the id (`/previews/<id>` or `/previews/<id>?q`): where to
   * redirect, so that the page's relative URLs resolve under the prefix instead of `/previews/`.
   */
  slashRedirect?: string;
}

export type PreviewMatch = { kind: 'preview'; request: PreviewRequest } | { kind: 'invalid'; message: string } | { kind: 'none' };

/**
 * Classifies a request by its Host header first (`{port}-{sessionId}.{domain}`, so a preview host
 * never reaches the manager's own routes), then by path prefix. Session id and port come from here;
 * the address they map to comes only from our records.
 */
export function matchPreviewRequest(host: string | undefined, url: string, previewDomain: string): PreviewMatch {
  const byHost = host === undefined ? null : matchHostCached(host, previewDomain);
  if (byHost) {
    if (byHost.kind !== 'preview') return byHost;
    return { kind: 'preview', request: { form: 'host', sessionId: byHost.sessionId, port: byHost.port, path: url.startsWith('/') ? url : `/${url}` } };
  }
  if (url.startsWith(PATH_PREFIX)) return matchPrefix('path', url, PATH_PREFIX);
  if (url.startsWith(INTERNAL_PREFIX)) return matchPrefix('internal', url, INTERNAL_PREFIX);
  return { kind: 'none' };
}

type HostMatch = { kind: 'preview'; sessionId: string; port: number } | { kind: 'invalid'; message: string };

/**
 * Host classification is a pure function of the header and the domain, and a browser sends the same
 * few Host values over and over: remember the answers for short hosts (bounded, cleared when full).
 */
const HOST_CACHE_MAX = 1024;
const HOST_CACHE_MAX_LENGTH = 255;
const hostCache = new Map<string, Readonly<HostMatch> | null>();
let hostCacheDomain = '';

function matchHostCached(rawHost: string, previewDomain: string): Readonly<HostMatch> | null {
  if (rawHost.length > HOST_CACHE_MAX_LENGTH) return matchHost(rawHost, previewDomain);
  if (previewDomain !== hostCacheDomain) {
    hostCache.clear();
    hostCacheDomain = previewDomain;
  }
  let match = hostCache.get(rawHost);
  if (match === undefined) {
    match = matchHost(rawHost, previewDomain);
    if (hostCache.size >= HOST_CACHE_MAX) hostCache.clear();
    hostCache.set(rawHost, match);
  }
  return match;
}

function matchHost(rawHost: string, previewDomain: string): HostMatch | null {
  const host = rawHost.toLowerCase();
  const colon = host.lastIndexOf(':');
  const hostname = colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host;
  const suffix = `.${previewDomain}`;
  if (!hostname.endsWith(suffix)) return null;
  const label = hostname.slice(0, -suffix.length);
  // `{port}-{uuid}`: the port is at most 5 digits, the uuid exactly 36 characters.
  const dash = label.indexOf('-');
  const sessionId = label.slice(dash + 1);
  const portText = label.slice(0, dash);
  if (dash <= 0 || !/^\d{1,5}$/.test(portText) || !isSessionId(sessionId)) {
    return { kind: 'invalid', message: `Preview host must look like {port}-{sessionId}.${previewDomain}` };
  }
  return { kind: 'preview', sessionId, port: Number(portText) };
}

function matchPrefix(form: PreviewForm, url: string, prefix: string): PreviewMatch {
  const rest = url.slice(prefix.length);
  let end = rest.length;
  for (const stop of ['/', '?', '#']) {
    const at = rest.indexOf(stop);
    if (at >= 0 && at < end) end = at;
  }
  const sessionId = rest.slice(0, end).toLowerCase();
  if (!isSessionId(sessionId)) return { kind: 'invalid', message: SESSION_ID_MESSAGE };
  const suffix = rest.slice(end);
  const path = suffix.startsWith('/') ? suffix : `/${suffix}`;
  const base = `${prefix}${rest.slice(0, end)}`;
  const slashRedirect = form === 'path' && !suffix.startsWith('/') ? `${base}${path}` : undefined;
  return { kind: 'preview', request: { form, sessionId, path, prefix: base, ...(slashRedirect ? { slashRedirect } : {}) } };
}

/** Splits `preview_token` off a path's query string; the sandbox never sees it. */
export function takeQueryToken(path: string): { token?: string; path: string } {
  const q = path.indexOf('?');
  if (q < 0 || !path.includes(`${PREVIEW_TOKEN_QUERY}=`, q)) return { path };
  const params = new URLSearchParams(path.slice(q + 1));
  const token = params.get(PREVIEW_TOKEN_QUERY) ?? undefined;
  params.delete(PREVIEW_TOKEN_QUERY);
  const query = params.toString();
  return { token, path: `${path.slice(0, q)}${query ? `?${query}` : ''}` };
}
