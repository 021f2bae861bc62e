import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { parseInternalKeys } from '../auth/internal-service-key.guard';

const VERSION = 'v1';
const IV_BYTES = 12;

interface SealingKey {
  id: string;
  key: Buffer;
}

/**
 * Encrypts secrets a service must read back later (webhook signing secrets, repository tokens) with
 * AES-256-GCM under a key derived (HKDF-SHA256) from INTERNAL_SERVICE_KEY. Sealed form:
 * `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url), so a value sealed under an older key of a
 * rotation is still opened while that key is listed, and `isCurrent` tells which to re-seal.
 * `purpose` separates the keys of different uses: a value sealed for one cannot be opened as another.
 */
export class SecretSealer {
  private readonly keys: SealingKey[];

  constructor(internalServiceKey: string, purpose: string) {
    this.keys = parseInternalKeys(internalServiceKey).map((secret) => {
      const key = Buffer.from(hkdfSync('sha256', secret, 'sandbox-platform/secret-sealer', purpose, 32));
      return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key };
    });
    if (this.keys.length === 0) throw new Error('SecretSealer needs at least one internal service key');
  }

  seal(plaintext: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** Throws when the value was sealed under a key no longer configured, or was altered. */
  open(sealed: string): string {
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    const entry = this.keys.find((candidate) => candidate.id === id);
    if (version !== VERSION || !entry || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('sealed secret cannot be opened: unknown format or its key is no longer configured');
    }
    const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Ids of the keys this sealer holds, as they appear in sealed values (current first). */
  keyIds(): string[] {
    return this.keys.map((entry) => entry.id);
  }

  /** Sealed under the current (first) key. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${VERSION}.${this.keys[0].id}.`);
  }
}
