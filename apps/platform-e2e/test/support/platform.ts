import { randomBytes } from 'node:crypto';
import { INTERNAL_KEY_HEADER, ManagerRoutes, SandboxSessionList } from '@sandbox/contracts';
import { PlatformProcesses, ServiceName, ServiceProcess, startPlatformProcesses } from '@sandbox/testing';

export interface RunEventMessage {
  id: string | null;
  event: { seq: number; runId: string; type: string; message: string; data: unknown; timestamp: string };
}

/**
 * The three services as real processes from dist/ against the real PostgreSQL, Redis and Docker, with
 * a known API key; helpers for GraphQL and a run's SSE stream. `restart` replaces one service with a
 * fresh process of the same configuration (after, say, a SIGKILL).
 */
export class Platform {
  readonly apiKey = `sk_dev_${randomBytes(24).toString('hex')}`;
  private processes?: PlatformProcesses;

  constructor(private readonly overrides: Partial<Record<ServiceName, Record<string, string>>> = {}) {}

  get gateway(): ServiceProcess {
    return this.started().services['api-gateway'];
  }

  async start(): Promise<void> {
    this.processes = await startPlatformProcesses('runs-e2e', {
      common: { LOG_LEVEL: 'info' },
      services: {
        'container-manager': { OUTBOX_BACKOFF_BASE_MS: '100', OUTBOX_POLL_MS: '100', ...this.overrides['container-manager'] },
        'worker-service': { ...this.overrides['worker-service'] },
        'api-gateway': { DEV_API_KEY: this.apiKey, RUN_EVENT_POLL_MS: '300', ...this.overrides['api-gateway'] },
      },
    });
  }

  restart(name: ServiceName): Promise<void> {
    return this.started().restart(name);
  }

  /** Everything the three processes printed (for leak checks and failure messages). */
  output(): string {
    return this.started().output();
  }

  async stop(): Promise<void> {
    if (!this.processes) return;
    // Through the platform, so the manager also unmounts and removes each session's volume. Only the
    // sessions of this platform's own manager: the development key's user is shared by every Platform
    // of a test run, and another file's sessions (and their runs) must outlive this one.
    const own = await fetch(`${this.processes.services['container-manager'].url}${ManagerRoutes.sessions}`, { headers: { [INTERNAL_KEY_HEADER]: this.processes.internalKey } })
      .then(async (res) => ((await res.json()) as SandboxSessionList).sessions.map((session) => session.sessionId))
      .catch(() => [] as string[]);
    for (const id of own) await this.gql('mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
    await this.processes.stop();
  }

  private started(): PlatformProcesses {
    if (!this.processes) throw new Error('the platform is not started');
    return this.processes;
  }

  // Tests read response fields freely; the assertions check the shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
    const res = await fetch(`${this.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.apiKey}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: { message: string }[] };
  }

  /** The run's SSE stream until it ends (after COMPLETE/ERROR); `onEvent` sees each as it arrives. */
  async watch(runId: string, options: { lastEventId?: number; onEvent?: (message: RunEventMessage) => void; signal?: AbortSignal } = {}): Promise<RunEventMessage[]> {
    const res = await fetch(`${this.gateway.url}/api/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${this.apiKey}`, ...(options.lastEventId === undefined ? {} : { 'last-event-id': String(options.lastEventId) }) },
      signal: options.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`SSE answered ${res.status}: ${await res.text()}`);
    const all: RunEventMessage[] = [];
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!data) continue;
        const message = { id: lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null, event: JSON.parse(data) as RunEventMessage['event'] };
        all.push(message);
        options.onEvent?.(message);
      }
    }
    return all;
  }

  /** Resolves once the run's SSE stream delivers an event of `type`, and stops watching it. */
  untilEvent(runId: string, type: string): Promise<void> {
    const abort = new AbortController();
    return new Promise<void>((resolve, reject) => {
      this.watch(runId, {
        signal: abort.signal,
        onEvent: (m) => {
          if (m.event.type === type) {
            abort.abort();
            resolve();
          }
        },
      })
        .then(() => reject(new Error(`run ${runId} ended without a ${type} event`)))
        .catch((error: unknown) => (abort.signal.aborted ? undefined : reject(error as Error)));
    });
  }

  /** A new session on the `base` template, once it is ACTIVE. */
  async activeSession(): Promise<string> {
    const created = await this.gql<{ createSession: { id: string } }>(`mutation { createSession(input: { template: "base" }) { id } }`);
    if (!created.data) throw new Error(JSON.stringify(created.errors));
    const id = created.data.createSession.id;
    let status: string | undefined;
    for (let i = 0; i < 120 && status !== 'ACTIVE'; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await this.gql<{ session: { status: string } }>(`query($id: ID!) { session(id: $id) { status } }`, { id })).data?.session.status;
    }
    if (status !== 'ACTIVE') throw new Error(`session ${id} is ${status}, not ACTIVE\n${this.output().slice(-6000)}`);
    return id;
  }

  /** Polls run(id) until its status is one of `statuses`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async waitForRun(runId: string, statuses: string[], timeoutMs = 60_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      const res = await this.gql<{ run: { status: string } | null }>(
        `query($id: ID!) { run(id: $id) { id sessionId pipeline status error result attempt lastSeq parentRunId baseCheckpoint { commitHash description } resultCheckpoint { commitHash description runId } } }`,
        { id: runId },
      );
      last = res.data?.run ?? res.errors;
      if (res.data?.run && statuses.includes(res.data.run.status)) return res.data.run;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`run ${runId} never reached ${statuses.join('|')}; last ${JSON.stringify(last)}\n${this.output().slice(-6000)}`);
  }

  async exec(sessionId: string, command: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const res = await this.gql<{ exec: { exitCode: number; stdout: string; stderr: string } }>(`mutation($s: ID!, $c: String!) { exec(sessionId: $s, input: { command: $c }) { exitCode stdout stderr } }`, { s: sessionId, c: command });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.exec;
  }
}

/** Seqs 1..n, each once, in order; exactly one terminal event, the last one. */
export function expectGaplessAndTerminated(messages: RunEventMessage[]): void {
  const seqs = messages.map((m) => m.event.seq);
  const expected = Array.from({ length: seqs.length }, (_, i) => i + 1);
  if (JSON.stringify(seqs) !== JSON.stringify(expected)) throw new Error(`events not gapless: ${seqs.join(',')}`);
  if (messages.some((m) => m.id !== String(m.event.seq))) throw new Error('an SSE id differs from its seq');
  const terminal = messages.filter((m) => m.event.type === 'COMPLETE' || m.event.type === 'ERROR');
  if (terminal.length !== 1 || terminal[0] !== messages.at(-1)) throw new Error(`expected one terminal event, last: ${JSON.stringify(messages.map((m) => m.event.type))}`);
}
