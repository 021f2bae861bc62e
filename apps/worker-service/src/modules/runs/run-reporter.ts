import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient, ServiceConflictError, ServiceNotFoundError, ServiceServerError, ServiceTimeoutError, ServiceUnavailableError } from '@sandbox/clients';
import { NewRunEvent, RunEventType, RunFinishRequest, RunStateUpdate } from '@sandbox/contracts';

/** The run was cancelled or finished elsewhere, deleted, or a newer attempt owns it: stop quietly. */
export class RunSupersededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = RunSupersededError.name;
  }
}

/** The gateway could not be reached after retries: the task fails this attempt and is retried. */
export class GatewayUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = GatewayUnreachableError.name;
  }
}

const MAX_BATCH = 100;
const RETRIES = 5;
const REDACTED = '[redacted]';

/**
 * Everything one attempt of a run tells the gateway, in order: events are queued, redacted and sent
 * in numbered batches (the gateway stores batch n of an attempt once, so a retried send is harmless);
 * state and the finish go after the queued events. A 404/409 answer means this attempt no longer owns
 * the run (RunSupersededError); an unreachable gateway is retried, then GatewayUnreachableError.
 *
 * Batching is Nagle-like (docs/runs.md, The worker's side): with no batch in flight, an event is sent
 * at once (with whatever else was emitted in the same turn of the event loop); while one is in
 * flight, events gather and go as the next batch when it is acknowledged (at most MAX_BATCH per
 * batch). A quiet run's events therefore reach the gateway without delay, and a chatty one sends one
 * batch per round trip. Batches go one after another, so their numbers follow the events' order.
 */
export class RunReporter {
  private readonly logger = new Logger(RunReporter.name);
  private queue: NewRunEvent[] = [];
  private batch = 0;
  /** The sending loop while it runs (one at a time): a batch in flight, or about to be. */
  private sending: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    private readonly gateway: GatewayClient,
    readonly runId: string,
    readonly attempt: number,
    private readonly secrets: string[],
  ) {}

  /** Replaces every secret of the run (and its URL-encoded form) in a text. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
    }
    return out;
  }

  emit(type: NewRunEvent['type'], message: string, data?: unknown): void {
    const event: NewRunEvent = { type, message: this.redact(message) };
    if (data !== undefined) event.data = this.secrets.length > 0 ? (JSON.parse(this.redact(JSON.stringify(data))) as unknown) : data;
    this.queue.push(event);
    void this.send();
  }

  log(message: string, data?: unknown): void {
    this.emit(RunEventType.Log, message, data);
  }

  /** Resolves once every queued event is stored; rethrows a failure of an earlier background send. */
  async flush(): Promise<void> {
    await this.send();
    if (this.failure) throw this.failure;
  }

  async saveState(update: Omit<RunStateUpdate, 'attempt'>): Promise<void> {
    await this.flush();
    await this.call('save state', () => this.gateway.saveRunState(this.runId, { attempt: this.attempt, ...update }));
  }

  async finish(request: Omit<RunFinishRequest, 'attempt'>): Promise<void> {
    await this.flush();
    const body: RunFinishRequest = { attempt: this.attempt, ...request };
    if (body.error) body.error = this.redact(body.error);
    if (body.question) body.question = this.redact(body.question);
    await this.call('finish', () => this.gateway.finishRun(this.runId, body));
  }

  /** The attempt is over: events still queued are dropped, and no batch is started after the one in flight. */
  close(): void {
    this.closed = true;
    this.queue = [];
  }

  /** Starts the sending loop unless it runs; resolves when it has emptied the queue (or stopped on a failure). */
  private send(): Promise<void> {
    this.sending ??= this.sendQueued();
    return this.sending;
  }

  private async sendQueued(): Promise<void> {
    try {
      // Events emitted in the same turn (a STEP and its first LOG, output chunks read at once) go together.
      await new Promise((resolve) => setImmediate(resolve));
      while (!this.failure && !this.closed && this.queue.length > 0) {
        const events = this.queue.splice(0, MAX_BATCH);
        const n = ++this.batch;
        try {
          await this.call('events', () => this.gateway.appendRunEvents(this.runId, { attempt: this.attempt, n, events }));
        } catch (error) {
          this.failure = error instanceof Error ? error : new Error(String(error));
        }
      }
    } finally {
      // In the same turn as the loop's last check: an event emitted after it starts a new loop.
      this.sending = null;
    }
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (error instanceof ServiceConflictError || error instanceof ServiceNotFoundError) throw new RunSupersededError(error.message);
        const transient = error instanceof ServiceUnavailableError || error instanceof ServiceTimeoutError || error instanceof ServiceServerError;
        if (!transient) throw error;
        if (attempt >= RETRIES) throw new GatewayUnreachableError(`run ${this.runId}: ${what}: ${error.message}`, { cause: error });
        this.logger.warn({ runId: this.runId, err: error }, `${what}: gateway unreachable, retrying`);
        await sleep(200 * 2 ** attempt);
      }
    }
  }
}
