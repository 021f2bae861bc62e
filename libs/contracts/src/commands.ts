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
