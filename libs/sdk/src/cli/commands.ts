import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { SandboxClient } from '../client.js';
import { SandboxError } from '../errors.js';
import type { Terminal } from '../terminal.js';
import type { RunEvent } from '../types.js';
import { EXIT, Output, table, UsageError } from './output.js';

export interface CliContext {
  output(): Output;
  client(): SandboxClient;
}

const SESSION_STATUSES = ['PENDING', 'ACTIVE', 'STOPPED', 'ERROR'] as const;

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be an integer between ${min} and ${max}`);
    return parsed;
  };
}

function envPair(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('--env takes NAME=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** `<sessionId>:<path>` names a file in a sandbox; anything else is a local path. */
function remote(spec: string): { sessionId: string; path: string } | null {
  const match = /^([0-9a-fA-F-]{36}):(.+)$/.exec(spec);
  return match ? { sessionId: match[1], path: match[2] } : null;
}

function exitCodeOf(result: { exitCode: number | null; timedOut: boolean }): number {
  if (result.exitCode !== null) return result.exitCode;
  return result.timedOut ? EXIT.timedOut : EXIT.error;
}

function printRunEvent(output: Output, event: RunEvent): void {
  if (output.json) process.stdout.write(`${JSON.stringify(event)}\n`);
  else process.stdout.write(`[${event.seq}] ${event.type.padEnd(14)} ${event.message}\n`);
}

/** Follows a run's events to its end; exit 0 when it completed, 1 when it failed or was cancelled. */
async function followRun(client: SandboxClient, output: Output, runId: string, afterSeq = 0): Promise<number> {
  let last: RunEvent | undefined;
  for await (const event of client.runs.events(runId, { afterSeq })) {
    printRunEvent(output, event);
    last = event;
  }
  return last?.type === 'COMPLETE' ? EXIT.ok : EXIT.error;
}

/**
 * A PTY shell over the terminal WebSocket: raw keystrokes in, bytes out, the window size followed.
 * Resolves with the shell's exit code (128 + the signal's number when killed), or null when the
 * terminal cannot be opened for this session (the caller falls back to lines).
 */
async function ptyShell(client: SandboxClient, id: string): Promise<number | null> {
  let terminal: Terminal;
  try {
    terminal = await client.terminal.open(id, { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
  } catch (error) {
    if (error instanceof SandboxError && ['TERMINAL', 'CONFLICT', 'GRAPHQL_VALIDATION_FAILED'].includes(error.code)) return null;
    throw error;
  }
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  terminal.onData((bytes) => process.stdout.write(bytes));
  const onResize = () => terminal.resize(process.stdout.columns, process.stdout.rows);
  const onInput = (chunk: Buffer) => terminal.write(chunk);
  // Piped input: its end is the end of file a shell leaves on (^D at the start of a line).
  const onEnd = () => terminal.write('\x04');
  process.stdout.on('resize', onResize);
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onInput);
  stdin.once('end', onEnd);
  stdin.resume();
  try {
    const exit = await terminal.exited;
    if (exit?.exitCode !== null && exit?.exitCode !== undefined) return exit.exitCode;
    const signal = exit?.signal ? (constants.signals as Record<string, number | undefined>)[exit.signal] : undefined;
    return signal ? 128 + signal : EXIT.error;
  } finally {
    stdin.off('data', onInput);
    stdin.off('end', onEnd);
    process.stdout.off('resize', onResize);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
}

/** Lines run one by one through exec (the sandbox keeps no shell between them), `cd` remembered. */
async function lineShell(client: SandboxClient, id: string, status: string): Promise<number> {
  const tty = process.stdin.isTTY === true;
  // The workspace root, to keep the current directory relative to it as exec's cwd expects.
  const root = (await client.exec(id, 'pwd')).stdout.trim();
  // Created right before the loop reads it: lines arriving earlier would be lost.
  const lines = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  let cwd = '.';
  let last = 0;
  const prompt = () => {
    if (!tty) return;
    lines.setPrompt(`${id.slice(0, 8)}:${cwd}$ `);
    lines.prompt();
  };
  process.stderr.write(`Connected to ${id} (${status}). Each line runs with sh -c; "exit" leaves.\n`);
  prompt();
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === 'exit' || line === 'logout') break;
    // `cd` changes the directory of the next commands: the sandbox keeps no shell between them.
    const cd = /^cd(?:\s+(.+))?$/.exec(line);
    if (cd && !cd[1]) cwd = '.';
    else if (line) {
      const result = await client.exec(id, cd ? `cd ${cd[1]} && pwd` : line, { cwd });
      if (cd && result.exitCode === 0) cwd = relativeTo(root, result.stdout.trim());
      else process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      last = exitCodeOf(result);
    }
    prompt();
  }
  lines.close();
  return last;
}

export function registerCommands(program: Command, context: CliContext, setExitCode: (code: number) => void): void {
  const sessions = program.command('sessions').description('create, list, stop and delete sessions');

  sessions
    .command('create')
    .description('create a session and wait until its sandbox runs')
    .option('-t, --template <name>', 'template to start from (default: the platform default, dev)')
    .option('-e, --env <NAME=value>', 'environment variable (repeatable)', envPair)
    .option('--no-wait', 'answer at once with the PENDING session')
    .action(async (options: { template?: string; env?: Record<string, string>; wait: boolean }) => {
      const output = context.output();
      const session = await output.progress(
        'Creating session',
        context.client().sessions.create({ template: options.template, env: options.env, wait: options.wait }),
      );
      output.result(session, () => session.id);
      output.info(`Session ${session.id} is ${session.status} (template ${session.template ?? 'default'})`);
    });

  sessions
    .command('list')
    .description('list your sessions, newest first')
    .addOption(new Option('-s, --status <status>', 'only sessions in this status').choices(SESSION_STATUSES))
    .option('-l, --limit <n>', 'how many (1-100)', integer('--limit', 1, 100), 20)
    .action(async (options: { status?: (typeof SESSION_STATUSES)[number]; limit: number }) => {
      const output = context.output();
      const page = await context.client().sessions.list({ status: options.status, limit: options.limit });
      output.result(page, () =>
        page.sessions.length === 0
          ? 'No sessions.'
          : table([['ID', 'STATUS', 'TEMPLATE', 'CREATED'], ...page.sessions.map((s) => [s.id, s.status, s.template ?? '', s.createdAt])]),
      );
    });

  sessions
    .command('stop <id>')
    .description("stop a session's sandbox (workspace and checkpoints are kept)")
    .action(async (id: string) => {
      const session = await context.client().sessions.stop(id);
      context.output().result(session, () => `Session ${id} is ${session.status}`);
    });

  sessions
    .command('start <id>')
    .description('start a stopped session again')
    .action(async (id: string) => {
      const session = await context.client().sessions.start(id);
      context.output().result(session, () => `Session ${id} is ${session.status}`);
    });

  sessions
    .command('delete <id>')
    .alias('rm')
    .description('delete a session, its sandbox and its checkpoints')
    .action(async (id: string) => {
      const output = context.output();
      await output.progress(`Deleting session ${id}`, context.client().sessions.delete(id));
      output.result({ deleted: id }, () => `Deleted session ${id}`);
    });

  program
    .command('exec <id> <command...>')
    .description('run a command in the sandbox (after --) and exit with its exit code')
    .option('-C, --cwd <dir>', 'working directory, relative to the workspace')
    .option('-e, --env <NAME=value>', 'environment variable (repeatable)', envPair)
    .option('--timeout <ms>', 'kill the command after this many milliseconds', integer('--timeout', 1, 600_000))
    .usage('[options] <id> -- <command...>')
    .action(async (id: string, words: string[], options: { cwd?: string; env?: Record<string, string>; timeout?: number }) => {
      const output = context.output();
      // Several words are joined as the shell would see them: `exec ID -- ls -la` runs `ls -la`.
      const command = words.join(' ');
      const result = await context.client().exec(id, command, {
        cwd: options.cwd,
        env: options.env,
        timeoutMs: options.timeout,
        onStdout: output.json ? undefined : (chunk) => process.stdout.write(chunk),
        onStderr: output.json ? undefined : (chunk) => process.stderr.write(chunk),
      });
      if (output.json) output.result(result, () => '');
      else if (result.timedOut) output.info(`sandbox: the command was killed after its timeout`);
      if (!output.json && result.truncated) output.info('sandbox: output was truncated at the platform limit');
      setExitCode(exitCodeOf(result));
    });

  program
    .command('cp <source> <destination>')
    .description('copy a file between this machine and a sandbox; name sandbox files <id>:<path>')
    .action(async (source: string, destination: string) => {
      const output = context.output();
      const from = remote(source);
      const to = remote(destination);
      if (from && to) throw new UsageError('cp copies between this machine and a sandbox: one side must be a local path');
      if (!from && !to) throw new UsageError('cp needs one side written <sessionId>:<path> (a file in the sandbox)');
      if (to) {
        const info = await stat(source).catch(() => null);
        if (!info) throw new UsageError(`${source}: no such file`);
        if (!info.isFile()) throw new UsageError(`${source} is not a regular file (cp copies single files)`);
        const bytes = new Uint8Array(await readFile(source));
        const path = to.path.endsWith('/') ? `${to.path}${basename(source)}` : to.path;
        await output.progress(`Uploading ${bytes.length} bytes`, context.client().files.write(to.sessionId, path, bytes));
        output.result({ sessionId: to.sessionId, path, bytes: bytes.length }, () => `${source} → ${to.sessionId}:${path} (${bytes.length} bytes)`);
      } else if (from) {
        const bytes = await output.progress(`Downloading ${from.path}`, context.client().files.readBytes(from.sessionId, from.path));
        const info = await stat(destination).catch(() => null);
        const target = info?.isDirectory() ? `${destination.replace(/\/+$/, '')}/${basename(from.path)}` : destination;
        await writeFile(target, bytes);
        output.result({ path: target, bytes: bytes.length }, () => `${from.sessionId}:${from.path} → ${target} (${bytes.length} bytes)`);
      }
    });

  program
    .command('shell <id>')
    .description('an interactive shell in the sandbox: a PTY when stdin is a terminal (or with --pty); with --lines (the default for piped input) each line runs as a command, cd remembered')
    .addOption(new Option('--pty', 'a PTY shell even when stdin is not a terminal (input passes as it is; its end ends the shell)').conflicts('lines'))
    .addOption(new Option('--lines', 'each line runs as its own command (cd remembered), even on a terminal'))
    .action(async (id: string, options: { pty?: boolean; lines?: boolean }) => {
      const client = context.client();
      const session = await client.sessions.get(id);
      if (!session) throw new UsageError(`Session ${id} not found`);
      const usePty = options.pty === true || (options.lines !== true && process.stdin.isTTY === true);
      if (usePty) {
        const code = await ptyShell(client, id);
        if (code !== null) return setExitCode(code);
        process.stderr.write('The terminal is not available for this session (an older gateway, or a sandbox without the agent): running lines one by one.\n');
      }
      setExitCode(await lineShell(client, id, session.status));
    });

  program
    .command('preview')
    .description('expose a port of the sandbox as a preview URL')
    .argument('<id>', 'session id')
    .argument('<port>', 'port the server in the sandbox listens on', integer('port', 1024, 65535))
    .action(async (id: string, port: number) => {
      const preview = await context.client().previews.register(id, port);
      context.output().result(preview, () => preview.url);
    });

  program
    .command('run <id> <pipeline>')
    .description('start a pipeline run in the session and follow its events to the end')
    .option('-i, --input <text>', "the run's input (plan: the instructions; JSON is passed as an object)")
    .option('-d, --detach', 'print the run and return without following it')
    .action(async (id: string, pipeline: string, options: { input?: string; detach?: boolean }) => {
      const client = context.client();
      const output = context.output();
      const run = await client.runs.start(id, pipeline, parseInput(options.input));
      if (options.detach) {
        output.result(run, () => run.id);
        return;
      }
      output.info(`Run ${run.id} (${run.pipeline}) is ${run.status}; following its events`);
      setExitCode(await followRun(client, output, run.id));
    });

  program
    .command('logs <runId>')
    .description("print a run's events (past, then live until it ends)")
    .option('--after <seq>', 'start after this event number', integer('--after', 0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (runId: string, options: { after: number }) => {
      setExitCode(await followRun(context.client(), context.output(), runId, options.after));
    });
}

/** `dir` relative to the workspace `root` ('.' for the root itself); unchanged when outside it. */
function relativeTo(root: string, dir: string): string {
  if (dir === root) return '.';
  return dir.startsWith(`${root}/`) ? dir.slice(root.length + 1) : dir;
}

/** `--input '{"command":"npm test"}'` is an object; any other text is passed as a string. */
function parseInput(input: string | undefined): unknown {
  if (input === undefined) return undefined;
  const trimmed = input.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return input;
    }
  }
  return input;
}
