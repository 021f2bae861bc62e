import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';

/** How long a ticket of openTerminal may wait to be used. */
export const TERMINAL_TICKET_TTL_MS = 60_000;
/** Unused tickets a key may hold at once; the oldest is dropped beyond this. */
const MAX_TICKETS_PER_KEY = 16;

/** What a redeemed ticket lets its holder open. */
export interface TerminalGrant {
  sessionId: string;
  userId: string;
  apiKeyId: string;
  cols: number;
  rows: number;
}

interface StoredTicket extends TerminalGrant {
  expiresAt: number;
}

/**
 * One-time tickets for the terminal WebSocket (docs/api.md, "Terminal"). A browser cannot set an
 * Authorization header on a WebSocket, so openTerminal (authenticated, owner checked) hands out a
 * random ticket for one session, valid once and for 60 s; the socket presents it in its URL. Only
 * its SHA-256 is kept, in this process: a ticket is redeemed on the gateway instance that issued it.
 */
@Injectable()
export class TerminalTicketsService {
  private readonly tickets = new Map<string, StoredTicket>();

  issue(grant: TerminalGrant): { ticket: string; expiresAt: Date } {
    const now = Date.now();
    this.prune(now, grant.apiKeyId);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = now + TERMINAL_TICKET_TTL_MS;
    this.tickets.set(digest(ticket), { ...grant, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /** The ticket's grant, once: a used, unknown or expired ticket gives null. */
  redeem(ticket: string): TerminalGrant | null {
    const key = digest(ticket);
    const stored = this.tickets.get(key);
    if (!stored) return null;
    this.tickets.delete(key);
    if (Date.now() >= stored.expiresAt) return null;
    const { expiresAt: _expiresAt, ...grant } = stored;
    return grant;
  }

  private prune(now: number, apiKeyId: string): void {
    const ofKey: string[] = [];
    for (const [key, stored] of this.tickets) {
      if (now >= stored.expiresAt) this.tickets.delete(key);
      else if (stored.apiKeyId === apiKeyId) ofKey.push(key);
    }
    // Map order is insertion order: the oldest first.
    for (const key of ofKey.slice(0, Math.max(0, ofKey.length - MAX_TICKETS_PER_KEY + 1))) this.tickets.delete(key);
  }
}

function digest(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}
