import { Injectable } from '@nestjs/common';
import { ContainerManagerClient } from '@sandbox/clients';
import { AgentToolName, ExecResult } from '@sandbox/contracts';
import { ToolSpec } from './tool-call.normalizer';

/** What a tool call gave back, as the model will read it. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
}

/** Default and upper bound of one `exec` call of the model. */
export const AGENT_EXEC_DEFAULT_TIMEOUT_MS = 120_000;
export const AGENT_EXEC_MAX_TIMEOUT_MS = 600_000;

const string = (description: string) => ({ type: 'string', description });

/** The built-in tools, named and shaped as docs/agent.md lists them. */
export const BUILT_IN_TOOLS: Record<AgentToolName, ToolSpec> = {
  exec: {
    name: 'exec',
    description: 'Run a shell command (sh -c) in the sandbox, as its unprivileged user; returns the exit code, stdout and stderr.',
    parameters: {
      type: 'object',
      properties: {
        command: string('The shell command line.'),
        cwd: string('Working directory inside /workspace (default /workspace).'),
        timeoutMs: { type: 'integer', description: `Time limit in milliseconds (default ${AGENT_EXEC_DEFAULT_TIMEOUT_MS}, at most ${AGENT_EXEC_MAX_TIMEOUT_MS}).` },
      },
      required: ['command'],
    },
  },
  read_file: {
    name: 'read_file',
    description: 'Read a text file of the workspace.',
    parameters: { type: 'object', properties: { path: string('Path relative to /workspace (or absolute inside it).') }, required: ['path'] },
  },
  write_file: {
    name: 'write_file',
    description: 'Create or replace a file of the workspace with the given text (parent directories are created).',
    parameters: {
      type: 'object',
      properties: { path: string('Path relative to /workspace (or absolute inside it).'), content: string('The whole new content of the file.') },
      required: ['path', 'content'],
    },
  },
  list_files: {
    name: 'list_files',
    description: 'List a directory of the workspace.',
    parameters: { type: 'object', properties: { path: string('Directory relative to /workspace (default: the workspace itself).') } },
  },
  checkpoint: {
    name: 'checkpoint',
    description: 'Save the current state of the workspace as a checkpoint (a git commit the user can restore).',
    parameters: { type: 'object', properties: { description: string('What this checkpoint holds.') } },
  },
  ask_user: {
    name: 'ask_user',
    description: 'Ask the user a question and wait for the answer, which comes back as this tool\'s result. Use it only when you cannot go on without a decision or information from the user.',
    parameters: { type: 'object', properties: { question: string('The question, self-contained.') }, required: ['question'] },
  },
};

function formatExec(result: ExecResult): string {
  const status = [`exit code: ${result.exitCode ?? 'none'}`];
  if (result.timedOut) status.push('the command timed out and was killed');
  if (result.truncated) status.push('the sandbox cut the output at its limit');
  const parts = [status.join('; ')];
  if (result.stdout) parts.push(`--- stdout ---\n${result.stdout}`);
  if (result.stderr) parts.push(`--- stderr ---\n${result.stderr}`);
  if (!result.stdout && !result.stderr) parts.push('(no output)');
  return parts.join('\n');
}

const looksBinary = (content: Buffer): boolean => content.subarray(0, 8_192).includes(0);

/**
 * The built-in tools other than ask_user, each one call of the container-manager for the session's sandbox.
 * Nothing runs on this host: commands and file access happen inside the sandbox, as its user, confined to
 * its workspace by the manager. A failure of the call is the tool's error result, for the model to read.
 */
@Injectable()
export class SandboxTools {
  constructor(private readonly manager: ContainerManagerClient) {}

  async run(name: Exclude<AgentToolName, 'ask_user'>, args: Record<string, unknown>, context: { sessionId: string; signal: AbortSignal }): Promise<ToolOutcome> {
    const { sessionId, signal } = context;
    const text = (key: string): string | undefined => (typeof args[key] === 'string' ? args[key] : undefined);
    try {
      switch (name) {
        case 'exec': {
          const requested = typeof args.timeoutMs === 'number' ? args.timeoutMs : AGENT_EXEC_DEFAULT_TIMEOUT_MS;
          const timeoutMs = Math.min(Math.max(Math.trunc(requested), 1_000), AGENT_EXEC_MAX_TIMEOUT_MS);
          const result = await this.manager.exec(sessionId, { command: text('command') ?? '', cwd: text('cwd'), timeoutMs }, { signal });
          return { content: formatExec(result), isError: false };
        }
        case 'read_file': {
          const content = await this.manager.readFile(sessionId, text('path') ?? '');
          if (looksBinary(content)) return { content: `(binary file of ${content.length} bytes, not shown)`, isError: false };
          return { content: content.toString('utf8'), isError: false };
        }
        case 'write_file': {
          const written = await this.manager.writeFile(sessionId, text('path') ?? '', Buffer.from(text('content') ?? '', 'utf8'));
          return { content: `wrote ${written.size} bytes to ${written.path}`, isError: false };
        }
        case 'list_files': {
          const listing = await this.manager.listFiles(sessionId, text('path') ?? '.');
          const lines = listing.entries.map((entry) => `${entry.type === 'dir' ? `${entry.name}/` : entry.name}${entry.type === 'file' ? `  ${entry.size} bytes` : ''}${entry.type === 'symlink' ? '  (symlink)' : ''}`);
          return { content: lines.length > 0 ? `${listing.path}:\n${lines.join('\n')}` : `${listing.path}: (empty)`, isError: false };
        }
        case 'checkpoint': {
          const result = await this.manager.commit(sessionId, { description: text('description') ?? 'Checkpoint by the agent' });
          return { content: 'commitHash' in result ? `checkpoint ${result.commitHash} (${result.filesChanged} files changed)` : 'nothing changed since the last checkpoint', isError: false };
        }
      }
    } catch (error) {
      if (signal.aborted) throw error;
      return { content: `Error: ${name} failed: ${error instanceof Error ? error.message : String(error)}`, isError: true };
    }
  }
}
