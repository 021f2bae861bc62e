import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { INTERNAL_KEY_HEADER, ManagerRoutes, SandboxSessionList } from '@sandbox/contracts';
import { freePort, requireStackVar, ServiceName, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';

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
  readonly internalKey = `runs-internal-${randomBytes(12).toString('hex')}`;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'runs-e2e-'));
  private readonly managerId = `runs-${randomUUID().slice(0, 8)}`;
  private readonly queuePrefix = `runs-e2e-${randomUUID().slice(0, 8)}`;
  private env: Record<ServiceName, Record<string, string>> = { 'api-gateway': {}, 'worker-service': {}, 'container-manager': {} };
  services = {} as Record<ServiceName, ServiceProcess>;

  constructor(private readonly overrides: Partial<Record<ServiceName, Record<string, string>>> = {}) {}

  get gateway(): ServiceProcess {
    return this.services['api-gateway'];
  }

  async start(): Promise<void> {
    const ports = { gateway: await freePort(), worker: await freePort(), manager: await freePort() };
    const common = {
      INTERNAL_SERVICE_KEY: this.internalKey,
      DATABASE_URL: requireStackVar('TEST_DATABASE_URL'),
      REDIS_URL: requireStackVar('REDIS_URL'),
      DATA_DIR: this.dataDir,
      SANDBOX_TEST_LABEL: 'true',
      SANDBOX_MANAGER_ID: this.managerId,
      WORKER_QUEUE_PREFIX: this.queuePrefix,
      API_GATEWAY_URL: `http://127.0.0.1:${ports.gateway}`,
      WORKER_SERVICE_URL: `http://127.0.0.1:${ports.worker}`,
      CONTAINER_MANAGER_URL: `http://127.0.0.1:${ports.manager}`,
      LOG_LEVEL: 'info',
    };
    this.env = {
      'container-manager': { ...common, PORT: String(ports.manager), OUTBOX_BACKOFF_BASE_MS: '100', OUTBOX_POLL_MS: '100', ...this.overrides['container-manager'] },
      'worker-service': { ...common, PORT: String(ports.worker), ...this.overrides['worker-service'] },
      'api-gateway': { ...common, PORT: String(ports.gateway), DEV_API_KEY: this.apiKey, RUN_EVENT_POLL_MS: '300', ...this.overrides['api-gateway'] },
    };
    for (const name of ['container-manager', 'worker-service', 'api-gateway'] as const) this.services[name] = spawnService(name, this.env[name]);
    await Promise.all([waitForHealthy(this.services['container-manager'], 60_000), waitForHealthy(this.services['worker-service']), waitForHealthy(this.services['api-gateway'])]);
  }

  async restart(name: ServiceName): Promise<void> {
    await this.services[name].stop('SIGKILL');
    this.services[name] = spawnService(name, this.env[name]);
    await waitForHealthy(this.services[name], 60_000);
  }

  /** Everything the three processes printed (for leak checks and failure messages). */
  output(): string {
    return Object.values(this.services).map((s) => `--- ${s.name}\n${s.output()}`).join('\n');
  }

  async stop(): Promise<void> {
    // Through the platform, so the manager also unmounts and removes each session's volume. Only the
    // sessions of this platform's own manager: the development key's user is shared by every Platform
    // of a test run, and another file's sessions (and their runs) must outlive this one.
    if (this.gateway && this.services['container-manager']) {
      const own = await fetch(`${this.services['container-manager'].url}${ManagerRoutes.sessions}`, { headers: { [INTERNAL_KEY_HEADER]: this.internalKey } })
        .then(async (res) => ((await res.json()) as SandboxSessionList).sessions.map((session) => session.sessionId))
        .catch(() => [] as string[]);
      for (const id of own) await this.gql('mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
    }
    const containers = execFileSync('docker', ['ps', '-a', '--format', '{{.Names}}', '--filter', `label=sandbox.manager-id=${this.managerId}`]).toString().split('\n').filter(Boolean);
    for (const name of containers) execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    await Promise.all(Object.values(this.services).map((s) => s.stop()));
    const redis = new Redis(requireStackVar('REDIS_URL'), { maxRetriesPerRequest: 2 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    rmSync(this.dataDir, { recursive: true, force: true });
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
