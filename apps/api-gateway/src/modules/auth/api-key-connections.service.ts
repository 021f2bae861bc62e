import { Injectable, Logger } from '@nestjs/common';

/** What the registry needs of a long-lived connection (a graphql-ws socket, an event stream). */
export interface ClosableConnection {
  close(code: number, reason: string): void;
}

/** graphql-ws' close code for an authentication failure (`CloseCode.Forbidden`). */
export const REVOKED_CLOSE_CODE = 4403;
export const REVOKED_CLOSE_REASON = 'Forbidden';

/**
 * The long-lived connections each API key holds open, so that revoking a key ends them at once:
 * a request is checked on every call, a subscription only when it connects. In memory, per instance
 * (like the session event bus): with several gateway instances, revocation must be broadcast.
 */
@Injectable()
export class ApiKeyConnectionsService {
  private readonly logger = new Logger(ApiKeyConnectionsService.name);
  private readonly open = new Map<string, Set<ClosableConnection>>();
  /**
   * Keys revoked since this instance started. A connection authenticated just before the revocation
   * committed may register just after `closeAll` ran: it is closed on arrival instead.
   */
  private readonly revoked = new Set<string>();

  /** Registers a connection opened with `apiKeyId`; returns the function that forgets it (call it on close). */
  track(apiKeyId: string, connection: ClosableConnection): () => void {
    if (this.revoked.has(apiKeyId)) {
      connection.close(REVOKED_CLOSE_CODE, REVOKED_CLOSE_REASON);
      return () => undefined;
    }
    let connections = this.open.get(apiKeyId);
    if (!connections) {
      connections = new Set();
      this.open.set(apiKeyId, connections);
    }
    connections.add(connection);
    return () => {
      const current = this.open.get(apiKeyId);
      current?.delete(connection);
      if (current?.size === 0) this.open.delete(apiKeyId);
    };
  }

  /** Closes every connection of a key that was just revoked, and any that registers later. */
  closeAll(apiKeyId: string): number {
    this.revoked.add(apiKeyId);
    const connections = [...(this.open.get(apiKeyId) ?? [])];
    this.open.delete(apiKeyId);
    for (const connection of connections) connection.close(REVOKED_CLOSE_CODE, REVOKED_CLOSE_REASON);
    if (connections.length > 0) this.logger.log(`closed ${connections.length} connection(s) of revoked API key ${apiKeyId}`);
    return connections.length;
  }

  count(apiKeyId: string): number {
    return this.open.get(apiKeyId)?.size ?? 0;
  }
}
