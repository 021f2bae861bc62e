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
 */
export class RunReporter {
  private readonly logger = new Logger(RunReporter.name);
  private queue: NewRunEvent[] = [];
  private batch = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(
    private readonly gateway: GatewayClient,
    readonly runId: string,
    readonly attempt: number,
    private readonly secrets: string[],
    private readonly flushMs: number,
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
    if (this.queue.length >= MAX_BATCH) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
  }

  log(message: string, data?: unknown): void {
    this.emit(RunEventType.Log, message, data);
  }

  /** Sends whatever is queued; rethrows a failure of an earlier background send. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sending = this.sending.then(() => this.sendQueued());
    return this.sending.then(() => {
      if (this.failure) throw this.failure;
    });
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

  /** Stops the timer; queued events are dropped (the attempt is over). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async sendQueued(): Promise<void> {
    if (this.failure || this.queue.length === 0) return;
    const events = this.queue.splice(0, MAX_BATCH);
    const n = ++this.batch;
    try {
      await this.call('events', () => this.gateway.appendRunEvents(this.runId, { attempt: this.attempt, n, events }));
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      return;
    }
    if (this.queue.length > 0) await this.sendQueued();
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
