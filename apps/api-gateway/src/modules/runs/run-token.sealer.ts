import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const INFO = 'sandbox-platform run token';

/**
 * A private-repository token is kept only until the bootstrap clone has used it, and never in plain
 * text: AES-256-GCM under a key derived (HKDF-SHA256) from the internal service key, which PostgreSQL
 * never sees. Any configured internal key opens it, so a key rotation does not strand a queued run.
 */
@Injectable()
export class RunTokenSealer {
  private readonly keys: Buffer[];

  constructor(config: ConfigService) {
    this.keys = config
      .getOrThrow<string>('INTERNAL_SERVICE_KEY')
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean)
      .map((key) => Buffer.from(hkdfSync('sha256', key, 'runs', INFO, 32)));
  }

  seal(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  /** Null when no configured key opens it (the keys changed since). */
  open(sealed: string): string | null {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined) return null;
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // not this key
      }
    }
    return null;
  }
}
