import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'sk_';
/** Characters of a key kept in clear to tell keys apart in listings (`sk_` + 8). */
export const DISPLAY_PREFIX_LENGTH = 11;

/** A new random key: `sk_` and 32 random bytes in base64url. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256, hex. Keys are 256-bit random values (or a configured development key), not passwords,
 * so a fast unsalted hash is enough and lets the lookup be one indexed equality.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** The key of an `Authorization: Bearer <key>` header value, or null. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  return match ? match[1] : null;
}
