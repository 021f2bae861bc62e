import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Arrival {
  path: string;
  sessionId: string;
  kind: 'start' | 'stop' | 'pause' | 'error' | 'checkpoint';
  body: unknown;
  key: string | undefined;
}

/**
 * Plays the api-gateway's internal routes in tests: records every arrival, applies transitions
 * idempotently (the same transition twice changes nothing), can be taken down and brought back on
 * the same port, and can be told to reject a session with a 404.
 */
export class FakeGateway {
  readonly arrivals: Arrival[] = [];
  /** Transitions actually applied, per session (duplicates are not applied twice). */
  readonly applied = new Map<string, string[]>();
  readonly rejectSessions = new Set<string>();
  private readonly state = new Map<string, string>();
  private readonly checkpoints = new Set<string>();
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        const match = /^\/api\/internal\/sessions\/([^/]+)\/(start|stop|pause|error)$/.exec(req.url ?? '');
        const body: unknown = raw ? JSON.parse(raw) : undefined;
        const key = req.headers['x-internal-service-key'] as string | undefined;
        if (req.url === '/api/internal/git-checkpoints') {
          const checkpoint = body as { sessionId: string; commitHash: string };
          this.arrivals.push({ path: req.url, sessionId: checkpoint.sessionId, kind: 'checkpoint', body, key });
          if (!this.checkpoints.has(checkpoint.commitHash)) {
            this.checkpoints.add(checkpoint.commitHash);
            this.apply(checkpoint.sessionId, `checkpoint:${checkpoint.commitHash}`);
          }
          res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        if (!match) return void res.writeHead(404).end();
        const [, sessionId, kind] = match;
        this.arrivals.push({ path: req.url!, sessionId, kind: kind as Arrival['kind'], body, key });
        if (this.rejectSessions.has(sessionId)) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 404, message: 'Session not found' }));
          return;
        }
        const next = ({ start: 'ACTIVE', stop: 'STOPPED', pause: 'PAUSED', error: 'ERROR' } as Record<string, string>)[kind];
        const changed = this.state.get(sessionId) !== next;
        if (changed) {
          this.state.set(sessionId, next);
          this.apply(sessionId, kind);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sessionId, status: next, changed }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Reserves a port, then goes down: calls are refused until `up()`. */
  async reservePortDown(): Promise<void> {
    await this.up();
    await this.down();
  }

  appliedFor(sessionId: string): string[] {
    return this.applied.get(sessionId) ?? [];
  }

  async waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake gateway: condition not met in ${timeoutMs} ms; arrivals: ${JSON.stringify(this.arrivals.map((a) => `${a.kind}:${a.sessionId.slice(0, 8)}`))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private apply(sessionId: string, what: string): void {
    this.applied.set(sessionId, [...this.appliedFor(sessionId), what]);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
