/**
 * Background commands and file watches of a sandbox (docs/api.md, "Commands" and "Files"), served by the
 * in-sandbox agent (docs/sandbox-agent.md).
 */

export interface StartCommandRequest {
  /** string → `sh -c`, array → argv (no shell). */
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
}

export interface StartCommandResponse {
  commandId: string;
}

/** `killed`: ended by a signal; `exited`: ended on its own (exitCode set). */
export type CommandStatus = 'running' | 'exited' | 'killed';

export interface CommandInfo {
  commandId: string;
  command: string | string[];
  status: CommandStatus;
  exitCode: number | null;
  /** The signal that ended a `killed` command (e.g. `SIGTERM`). */
  signal: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface CommandList {
  commands: CommandInfo[];
}

/** Signals a client may send to a command's process group. */
export const COMMAND_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGWINCH'] as const;
export type CommandSignal = (typeof COMMAND_SIGNALS)[number];

export interface CommandSignalRequest {
  signal: CommandSignal;
}

/**
 * One `data:` of GET .../commands/:cid/output (SSE, `id:` = the output offset after it, for
 * Last-Event-ID): `text` when the bytes are UTF-8, `base64` otherwise.
 */
export interface CommandOutputEvent {
  stream: 'stdout' | 'stderr';
  text?: string;
  base64?: string;
}

/** The `exit` event that ends the output stream. */
export interface CommandExitEvent {
  status: CommandStatus;
  exitCode: number | null;
  signal: string | null;
}

/** One `data:` of GET .../files/watch (SSE); paths relative to the workspace. `overflow`: events were lost. */
export interface FileWatchEvent {
  type: 'create' | 'write' | 'remove' | 'rename' | 'overflow';
  path: string;
  /** The old path of a `rename`. */
  from?: string;
}

/**
 * The terminal WebSocket (docs/api.md, "Terminal"): a PTY running the sandbox's login shell. Binary
 * frames carry bytes both ways; the client sends `TerminalResizeMessage` as a text frame; the server
 * sends `TerminalExitMessage` as a text frame when the shell has ended, then closes with 1000.
 */
export const TerminalLimits = { minSize: 1, maxCols: 1000, maxRows: 1000, defaultCols: 80, defaultRows: 24 } as const;

export const TerminalErrors = {
  size: `cols and rows must be integers from ${TerminalLimits.minSize} to ${TerminalLimits.maxCols}`,
  message: 'A text frame must be {"type":"resize","cols":N,"rows":N}',
} as const;

export interface TerminalResizeMessage {
  type: 'resize';
  cols: number;
  rows: number;
}

export interface TerminalExitMessage {
  type: 'exit';
  exitCode: number | null;
  signal: string | null;
}

/** True when `cols`/`rows` are a PTY size the platform accepts. */
export function isTerminalSize(cols: unknown, rows: unknown): cols is number {
  const valid = (value: unknown, max: number) => typeof value === 'number' && Number.isInteger(value) && value >= TerminalLimits.minSize && value <= max;
  return valid(cols, TerminalLimits.maxCols) && valid(rows, TerminalLimits.maxRows);
}

/** Reads a client's text frame: a resize, or null when it is anything else. */
export function parseTerminalMessage(text: string): TerminalResizeMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  if (message.type !== 'resize' || !isTerminalSize(message.cols, message.rows)) return null;
  return { type: 'resize', cols: message.cols, rows: message.rows as number };
}
