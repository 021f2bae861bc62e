import { SandboxError, TimeoutError } from './errors.js';

/** How the shell of a terminal ended (null fields: unknown, e.g. the connection was lost). */
export interface TerminalExit {
  exitCode: number | null;
  signal: string | null;
}

/** The part of the WebSocket API (browsers, or the `ws` package on Node) a terminal uses. */
interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: { data?: unknown; code?: number; reason?: string; message?: string }) => void): void;
}

type SocketConstructor = new (url: string) => SocketLike;

/** How long `terminal.open` waits for the terminal's WebSocket to open, unless told otherwise. */
export const DEFAULT_TERMINAL_OPEN_TIMEOUT_MS = 30_000;

const encoder = new TextEncoder();

/**
 * A PTY shell in a sandbox over the gateway's terminal WebSocket (docs/api.md, "Terminal"): bytes
 * both ways, `resize` as the window changes; `exited` settles when the shell ends or the socket
 * closes. Open one with `sandbox.terminal.open(sessionId, { cols, rows })`.
 */
export class Terminal {
  private readonly dataListeners = new Set<(bytes: Uint8Array) => void>();
  private exit: TerminalExit | null = null;
  /** How the shell ended; null when the socket closed without saying (connection lost). */
  readonly exited: Promise<TerminalExit | null>;

  private constructor(private readonly socket: SocketLike) {
    let settle!: (exit: TerminalExit | null) => void;
    this.exited = new Promise((resolve) => (settle = resolve));
    socket.addEventListener('message', (event) => {
      const data = event.data;
      if (typeof data === 'string') {
        const message = parseExit(data);
        if (message) this.exit = message;
        return;
      }
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null;
      if (bytes) for (const listener of this.dataListeners) listener(bytes);
    });
    socket.addEventListener('close', () => settle(this.exit));
  }

  /**
   * Connects to a ticket URL of openTerminal (relative URLs are resolved against `apiUrl`). Gives up
   * with a TimeoutError, closing the socket, when it has not opened within `timeoutMs`.
   */
  static connect(url: string, apiUrl: string, webSocketImpl: unknown, timeoutMs = DEFAULT_TERMINAL_OPEN_TIMEOUT_MS): Promise<Terminal> {
    const Impl = (webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket) as SocketConstructor | undefined;
    if (!Impl) throw new SandboxError("No WebSocket implementation for the terminal: pass { webSocketImpl } (on Node 20: import WebSocket from 'ws')", 'CONFIGURATION');
    const target = new URL(url, apiUrl.replace(/^http/, 'ws')).toString();
    return new Promise((resolve, reject) => {
      const socket = new Impl(target);
      socket.binaryType = 'arraybuffer';
      let settled = false;
      const fail = (error: SandboxError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(new TimeoutError(`Cannot open the terminal: no connection within ${timeoutMs} ms`, 'TIMEOUT'));
        socket.close();
      }, timeoutMs);
      socket.addEventListener('open', () => {
        if (settled) return socket.close(1000, 'closed by the client');
        settled = true;
        clearTimeout(timer);
        resolve(new Terminal(socket));
      });
      socket.addEventListener('error', (event) => fail(new SandboxError(`Cannot open the terminal: ${event.message ?? 'the connection was refused'}`, 'TERMINAL')));
      socket.addEventListener('close', (event) => fail(new SandboxError(`Cannot open the terminal (closed with ${event.code ?? 'no code'})`, 'TERMINAL')));
    });
  }

  /** Output of the shell, as raw bytes (a terminal emulator or process.stdout takes them as they are). */
  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  /** Keystrokes or pasted text for the shell. */
  write(data: string | Uint8Array): void {
    if (this.socket.readyState !== 1) return;
    this.socket.send(typeof data === 'string' ? encoder.encode(data) : data);
  }

  resize(cols: number, rows: number): void {
    if (this.socket.readyState !== 1) return;
    this.socket.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  /** Hangs up: the shell and what it runs are ended. */
  close(): void {
    this.socket.close(1000, 'closed by the client');
  }
}

function parseExit(text: string): TerminalExit | null {
  try {
    const message = JSON.parse(text) as { type?: unknown; exitCode?: unknown; signal?: unknown };
    if (message.type !== 'exit') return null;
    return { exitCode: typeof message.exitCode === 'number' ? message.exitCode : null, signal: typeof message.signal === 'string' ? message.signal : null };
  } catch {
    return null;
  }
}
