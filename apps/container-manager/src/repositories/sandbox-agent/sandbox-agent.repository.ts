import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { Observable, Subject } from 'rxjs';
import { ManagerConfig } from '../../config/manager-config';
import { AgentConnection } from './agent-connection';
import { encodeFrame, Frame, FrameDecoder, FrameType, MAX_HELLO_BYTES, parseObject } from './agent-protocol';

/** Where the agent is, inside every sandbox. */
export const AGENT_PATH_IN_SANDBOX = '/opt/sbx/agent';
/** The read-only mount holding the manager's socket, inside every sandbox. */
export const AGENT_CONTROL_DIR_IN_SANDBOX = '/run/sbx';
export const AGENT_TOKEN_ENV = 'SBX_TOKEN';
const SOCKET_NAME = 'host.sock';
/** Longest unix socket path the kernel takes (sun_path minus its NUL). */
const MAX_SOCKET_PATH = 107;
/** Dialers that have not said hello yet, per session; the oldest is dropped beyond this. */
const MAX_PENDING_DIALERS = 8;
const HELLO_TIMEOUT_MS = 3_000;
/** Socket directories of pooled sandboxes are named `pool-{slotId}` until a session claims them. */
const POOL_PREFIX = 'pool-';

/** What a sandbox container needs to run the agent (see container-spec.ts). */
export interface AgentMount {
  binary: string;
  controlDir: string;
  token: string;
  version: string;
}

interface Listener {
  /** Whose agent it expects: a session id, or `pool-{slotId}` until the slot is claimed. */
  identity: string;
  server: Server;
  pending: Set<Socket>;
  connection: AgentConnection | null;
  waiters: Set<(connection: AgentConnection | null) => void>;
  /** When a wait for the agent last timed out (later calls do not wait again until it connects). */
  unresponsiveSince: number | null;
}

/**
 * The manager's end of the in-sandbox agents: one unix socket per session, in a host directory the
 * sandbox sees read-only at /run/sbx, that the session's agent dials (it never listens). A dialer
 * must prove itself with the session's token (an HMAC of the session id under a secret only the
 * manager reads) before anything else; the authenticated connection carries every exec, file
 * operation, command and watch of the session. Agents re-dial after a manager restart: the sockets of
 * existing sessions are listened on again at boot.
 */
@Injectable()
export class SandboxAgentRepository implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SandboxAgentRepository.name);
  private readonly listeners = new Map<string, Listener>();
  private readonly connectedSubject = new Subject<AgentConnection>();
  private secret: Buffer = Buffer.alloc(0);
  private version = '';

  /** Every agent that has proved itself (again, after a re-dial). */
  readonly connected$: Observable<AgentConnection> = this.connectedSubject.asObservable();

  constructor(private readonly config: ManagerConfig) {}

  get enabled(): boolean {
    return this.config.agentBinary !== null;
  }

  onModuleInit(): void {
    const root = this.root();
    mkdirSync(root, { recursive: true, mode: 0o711 });
    const secretFile = join(root, 'secret');
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32), { mode: 0o600, flag: 'wx' });
    this.secret = readFileSync(secretFile);
    if (this.config.agentBinary) {
      if (!existsSync(this.config.agentBinary)) throw new Error(`SANDBOX_AGENT_BINARY ${this.config.agentBinary} does not exist (scripts/infra/agent.sh builds it)`);
      this.version = createHash('sha256').update(readFileSync(this.config.agentBinary)).digest('hex').slice(0, 16);
    } else {
      this.logger.warn('SANDBOX_AGENT_BINARY is not set: new sandboxes run without the agent (slower exec and files, no background commands or watches)');
    }
    // Sessions created earlier: their agents re-dial the same sockets. Pooled sandboxes never claimed
    // belong to the manager that made them: reconciliation removes their containers.
    for (const name of readdirSync(root)) {
      if (name === 'secret' || !lstatSync(join(root, name)).isDirectory()) continue;
      if (name.startsWith(POOL_PREFIX)) rmSync(join(root, name), { recursive: true, force: true });
      else this.listen(name);
    }
  }

  onApplicationShutdown(): void {
    for (const [sessionId] of this.listeners) this.stop(sessionId);
    this.connectedSubject.complete();
  }

  /** Sets up the session's socket (idempotent) and says what its container must mount; null without an agent binary. */
  prepare(sessionId: string): AgentMount | null {
    if (!this.config.agentBinary) return null;
    const controlDir = this.listen(sessionId);
    return { binary: this.config.agentBinary, controlDir, token: this.tokenOf(sessionId), version: this.version };
  }

  /** Sets up the socket of a pooled sandbox (slot), before any session exists; its token is the slot's. */
  prepareSlot(slotId: string): AgentMount | null {
    return this.prepare(POOL_PREFIX + slotId);
  }

  /** The agent of an unclaimed slot, once connected (waits up to `waitMs`). */
  slotConnection(slotId: string, waitMs: number): Promise<AgentConnection | null> {
    return this.connection(POOL_PREFIX + slotId, waitMs);
  }

  /**
   * Hands a pooled sandbox's agent to a session: the agent is told the session's token (it presents
   * it on every later dial), the socket directory is renamed to the session's (the container keeps
   * it mounted: a rename does not change what it sees), and from here on the agent is the session's
   * like any other. Throws when the slot's agent is not connected.
   */
  async claim(slotId: string, sessionId: string): Promise<void> {
    const key = POOL_PREFIX + slotId;
    const listener = this.listeners.get(key);
    const connection = listener?.connection;
    if (!listener || !connection?.isOpen) throw new Error(`the agent of pool slot ${slotId} is not connected`);
    await connection.call(FrameType.Rekey, { token: this.tokenOf(sessionId) }, { timeoutMs: 5_000 });
    this.release(sessionId); // what an earlier, failed create may have left
    renameSync(this.controlDir(key), this.controlDir(sessionId));
    this.listeners.delete(key);
    listener.identity = sessionId;
    this.listeners.set(sessionId, listener);
    connection.sessionId = sessionId;
    this.connectedSubject.next(connection);
  }

  /** Whether an unclaimed slot's agent is connected (a slot whose agent left is not handed out). */
  slotReady(slotId: string): boolean {
    return this.listeners.get(POOL_PREFIX + slotId)?.connection?.isOpen === true;
  }

  /** Forgets a slot that was never claimed (its container is being removed). */
  releaseSlot(slotId: string): void {
    this.release(POOL_PREFIX + slotId);
  }

  /**
   * The session's agent connection. A session whose sandbox has an agent (its socket is set up) is
   * waited for up to `waitMs` (it dials right after the container starts, and again after a manager
   * restart); null when there is none, so the caller uses the Docker exec path.
   */
  async connection(sessionId: string, waitMs = this.config.agentReadyTimeoutMs): Promise<AgentConnection | null> {
    const listener = this.listeners.get(sessionId);
    if (!listener) return null;
    if (listener.connection?.isOpen) return listener.connection;
    if (listener.unresponsiveSince !== null || waitMs <= 0) return null;
    return new Promise((resolve) => {
      const done = (connection: AgentConnection | null) => {
        clearTimeout(timer);
        listener.waiters.delete(done);
        resolve(connection);
      };
      const timer = setTimeout(() => {
        listener.unresponsiveSince = Date.now();
        this.logger.warn({ sessionId }, `the sandbox agent did not connect within ${waitMs} ms: using docker exec`);
        done(null);
      }, waitMs);
      listener.waiters.add(done);
    });
  }

  /** Whether the session's sandbox was set up with an agent (its socket exists). */
  expects(sessionId: string): boolean {
    return this.listeners.has(sessionId);
  }

  /** Stops listening for a session and removes its socket directory (session deleted). */
  release(sessionId: string): void {
    this.stop(sessionId);
    rmSync(this.controlDir(sessionId), { recursive: true, force: true });
  }

  private stop(sessionId: string): void {
    const listener = this.listeners.get(sessionId);
    if (!listener) return;
    this.listeners.delete(sessionId);
    listener.server.close();
    for (const socket of listener.pending) socket.destroy();
    listener.connection?.close();
    for (const waiter of [...listener.waiters]) waiter(null);
  }

  private root(): string {
    return join(this.config.dataDir, 'agent');
  }

  private controlDir(sessionId: string): string {
    return join(this.root(), sessionId);
  }

  private tokenOf(sessionId: string): string {
    return createHmac('sha256', this.secret).update(`sandbox-agent:${sessionId}`).digest('hex');
  }

  private listen(sessionId: string): string {
    const dir = this.controlDir(sessionId);
    if (this.listeners.has(sessionId)) return dir;
    const socketPath = join(dir, SOCKET_NAME);
    if (socketPath.length > MAX_SOCKET_PATH) throw new Error(`the agent socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes (use a shorter DATA_DIR)`);
    // Never replaced while a container may have it mounted: a new directory would not be the one it sees.
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    if (existsSync(socketPath)) unlinkSync(socketPath);
    const listener: Listener = { identity: sessionId, server: createServer(), pending: new Set(), connection: null, waiters: new Set(), unresponsiveSince: null };
    listener.server.on('connection', (socket) => this.accept(listener, socket));
    listener.server.on('error', (error) => this.logger.error({ err: error, sessionId }, 'agent socket failed'));
    listener.server.listen(socketPath, () => {
      // The agent runs as the sandbox user; nobody else but root may connect.
      chownSync(socketPath, 1000, 1000);
      chmodSync(socketPath, 0o600);
    });
    this.listeners.set(sessionId, listener);
    return dir;
  }

  /** A dialer must send a hello with the session's token first; anything else closes it. */
  private accept(listener: Listener, socket: Socket): void {
    const sessionId = listener.identity;
    if (this.listeners.get(sessionId) !== listener) return void socket.destroy();
    listener.pending.add(socket);
    if (listener.pending.size > MAX_PENDING_DIALERS) {
      const oldest = listener.pending.values().next().value as Socket;
      listener.pending.delete(oldest);
      oldest.destroy();
    }
    const decoder = new FrameDecoder(MAX_HELLO_BYTES);
    let settled = false;
    const reject = (reason: string) => {
      if (settled) return;
      cleanup();
      socket.destroy();
      this.logger.warn({ sessionId, reason }, 'refused a connection on the agent socket');
    };
    const timer = setTimeout(() => reject('no hello in time'), HELLO_TIMEOUT_MS);
    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      listener.pending.delete(socket);
      socket.off('data', onData);
    };
    const onData = (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch {
        return reject('oversized hello');
      }
      const hello = frames[0];
      if (!hello) return;
      if (hello.type !== FrameType.Hello || hello.channel !== 0) return reject('first frame is not a hello');
      let body: Record<string, unknown>;
      try {
        body = parseObject(hello.payload);
      } catch {
        return reject('unreadable hello');
      }
      if (typeof body.token !== 'string' || !sameSecret(body.token, this.tokenOf(sessionId))) return reject('wrong token');
      cleanup();
      const version = typeof body.version === 'string' ? body.version.slice(0, 32) : '';
      socket.write(encodeFrame(FrameType.Welcome, 0, { watchMaxDirs: this.config.watchMaxDirs }));
      const connection = new AgentConnection(socket, sessionId, version, (reason) => this.logger.warn({ sessionId, reason }, 'agent protocol violation: connection closed'), Buffer.alloc(0));
      const previous = listener.connection;
      listener.connection = connection;
      listener.unresponsiveSince = null;
      previous?.close();
      for (const waiter of [...listener.waiters]) waiter(connection);
      // A slot's agent serves no session yet (the claim announces it).
      if (!sessionId.startsWith(POOL_PREFIX)) this.connectedSubject.next(connection);
    };
    socket.on('data', onData);
    socket.on('error', () => reject('socket error'));
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
