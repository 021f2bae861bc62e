import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { RUN_EVENTS_CHANNEL } from './runs.repository';
import { GatewayConfig } from '../../config/gateway-config';

type Ring = () => void;

/**
 * The doorbell of live run events: one dedicated PostgreSQL connection LISTENs on `run_events`
 * (NOTIFY `<runId>:<seq>` at each insert's commit) and rings the watchers of that run. A ring is a
 * nudge, never data: watchers read `seq > last` from the table, and poll too, so a notification lost
 * while the connection is down costs latency only. The connection is opened on the first watcher
 * and re-opened with backoff when it drops.
 */
@Injectable()
export class RunEventBellRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(RunEventBellRepository.name);
  private readonly watchers = new Map<string, Set<Ring>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;

  constructor(private readonly config: GatewayConfig) {}

  /** Calls `ring` whenever an event of `runId` is committed; returns the unsubscribe function. */
  subscribe(runId: string, ring: Ring): () => void {
    let set = this.watchers.get(runId);
    if (!set) this.watchers.set(runId, (set = new Set()));
    set.add(ring);
    void this.ensureConnected();
    return () => {
      set.delete(ring);
      if (set.size === 0) this.watchers.delete(runId);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private ensureConnected(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.config.databaseUrl });
    client.on('notification', (message) => this.onNotification(message.payload));
    client.on('error', (error) => this.onLost(client, error));
    client.on('end', () => this.onLost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${RUN_EVENTS_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.failures = 0;
      // Whatever was committed while nobody listened: ring everyone once, they re-read the table.
      for (const set of this.watchers.values()) for (const ring of set) ring();
    } catch (error) {
      await client.end().catch(() => undefined);
      this.scheduleReconnect(error);
    }
  }

  private onNotification(payload: string | undefined): void {
    const runId = payload?.split(':')[0];
    if (!runId) return;
    for (const ring of this.watchers.get(runId) ?? []) ring();
  }

  private onLost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    void client.end().catch(() => undefined);
    if (!this.closed) this.scheduleReconnect(error);
  }

  private scheduleReconnect(error: unknown): void {
    if (this.closed || this.retryTimer) return;
    this.failures++;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7)) * (0.5 + Math.random() / 2);
    this.logger.warn({ err: error }, `run event listener disconnected; reconnecting in ${Math.round(delay)} ms (watchers poll meanwhile)`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.watchers.size > 0) void this.ensureConnected();
    }, delay);
    this.retryTimer.unref();
  }
}
