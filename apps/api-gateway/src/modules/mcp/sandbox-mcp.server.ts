import { Injectable, Logger } from '@nestjs/common';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { COMMIT_REF_PATTERN, GatewaySessionStatus, PREVIEW_PORT_MAX, PREVIEW_PORT_MIN, PreviewErrors } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import type { AuthenticatedUser } from '../auth/auth.types';
import { MAX_FILE_CONTENT_LENGTH } from '../sessions/dto/graphql.inputs';
import { COMMIT_REF_MESSAGE } from '../sessions/dto/workspace.inputs';
import { FileEncoding } from '../sessions/models/sandbox.model';
import { SessionEventsService } from '../sessions/session-events.service';
import { SessionWorkspaceService } from '../sessions/session-workspace.service';
import { SessionRecord } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';

// Lengths of commands and paths are checked by the container-manager, whose 400 passes through as a tool error.
/** How long create_session waits for the sandbox to run before answering with the session as it is. */
const CREATE_WAIT_MS = 120_000;

const sessionId = z.string().uuid({ message: 'sessionId must be a UUID' }).describe('The session id (a UUID from create_session or list_sessions).');
const path = z.string().min(1);
/** A checkpoint's hash or a unique prefix of it (at least 4 hex characters), as GraphQL accepts. */
const commitRef = (name: string) => z.string().regex(COMMIT_REF_PATTERN, { message: COMMIT_REF_MESSAGE(name) });

/** What a tool answers about a session: the fields a model needs, dates as ISO strings. */
function sessionView(session: SessionRecord) {
  return {
    id: session.id,
    status: session.status,
    template: session.template,
    errorReason: session.errorReason,
    createdAt: session.createdAt.toISOString(),
  };
}

/**
 * The MCP tools of one caller (docs/developer-surface.md, MCP server). Each tool is one call to the
 * same SessionsService the GraphQL resolvers use, with the caller's user, so ownership, limits and
 * error messages are the GraphQL ones: another owner's session is "Session {id} not found".
 */
@Injectable()
export class SandboxMcpServer {
  private readonly logger = new Logger(SandboxMcpServer.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly events: SessionEventsService,
    private readonly workspace: SessionWorkspaceService,
  ) {}

  create(user: AuthenticatedUser): McpServer {
    const server = new McpServer(
      { name: 'sandbox-platform', version: '1.0.0' },
      {
        instructions:
          'Isolated Linux sandboxes with a persistent workspace and a git checkpoint timeline. Create a session (or reuse one from list_sessions), ' +
          'run shell commands with exec, read and write files, checkpoint the workspace before risky changes and restore a checkpoint to undo them. ' +
          'Paths are relative to the workspace root.',
      },
    );
    const tool = this.toolRunner();

    server.registerTool(
      'create_session',
      {
        description:
          'Create a new sandbox session (an isolated Linux container with its own workspace) and wait until it is running. ' +
          'Returns the session; use its id in every other tool. Status ACTIVE means ready; ERROR carries errorReason.',
        inputSchema: { template: z.string().min(1).max(100).optional().describe('Template (image) to start from, e.g. "dev" (default: git, Python, Node, build tools) or "base" (minimal shell).') },
      },
      ({ template }) => tool(async () => this.createAndWait(user, template)),
    );

    server.registerTool(
      'list_sessions',
      {
        description: 'List your sandbox sessions, newest first (up to 100), with their status (PENDING, ACTIVE, STOPPED, ERROR).',
        inputSchema: { status: z.enum(Object.values(GatewaySessionStatus) as [string, ...string[]]).optional().describe('Only sessions in this status.') },
      },
      ({ status }) =>
        tool(async () => {
          const page = await this.sessions.list(user, { status: status as GatewaySessionStatus | undefined, limit: 100, offset: 0 });
          return { total: page.total, sessions: page.sessions.map(sessionView) };
        }),
    );

    server.registerTool(
      'stop_session',
      {
        description: 'Stop a session\'s sandbox. Its workspace and checkpoints are kept; the session can be started again later.',
        inputSchema: { sessionId },
      },
      ({ sessionId: id }) => tool(async () => sessionView(await this.sessions.stop(user, id))),
    );

    server.registerTool(
      'exec',
      {
        description:
          'Run a shell command in the sandbox with `sh -c` and wait for it to finish. Returns exitCode, stdout and stderr ' +
          '(exitCode null and timedOut true when it was killed by the timeout). A non-zero exit code is a normal result, not a tool error. ' +
          'Do not start servers in the foreground: background them (`cmd > log 2>&1 &`).',
        inputSchema: {
          sessionId,
          command: z.string().min(1).describe('Shell command, e.g. "npm test 2>&1 | tail -50".'),
          cwd: path.optional().describe('Working directory relative to the workspace root (default: the root).'),
          timeoutMs: z.number().int().min(1).max(600_000).optional().describe('Kill the command after this many milliseconds (default 30000, at most 600000).'),
        },
      },
      ({ sessionId: id, command, cwd, timeoutMs }) => tool(async () => this.sessions.exec(user, id, { command, cwd, timeoutMs })),
    );

    server.registerTool(
      'read_file',
      {
        description: 'Read a text file from the workspace (UTF-8). Paths are relative to the workspace root.',
        inputSchema: { sessionId, path: path.describe('File path, e.g. "src/index.ts".') },
      },
      ({ sessionId: id, path: file }) => tool(async () => this.sessions.readFile(user, id, file, FileEncoding.UTF8)),
    );

    server.registerTool(
      'write_file',
      {
        description: 'Create or overwrite a text file in the workspace (UTF-8); missing parent directories are created.',
        inputSchema: {
          sessionId,
          path: path.describe('File path relative to the workspace root.'),
          content: z.string().max(MAX_FILE_CONTENT_LENGTH).describe('The whole new content of the file.'),
        },
      },
      ({ sessionId: id, path: file, content }) =>
        tool(async () => {
          await this.sessions.writeFile(user, id, file, content, FileEncoding.UTF8);
          return `Wrote ${Buffer.byteLength(content)} bytes to ${file}`;
        }),
    );

    server.registerTool(
      'list_files',
      {
        description: 'List the entries of a directory of the workspace: name, path, type (FILE, DIR, SYMLINK), size and mtime.',
        inputSchema: { sessionId, path: z.string().optional().describe('Directory relative to the workspace root (default ".").') },
      },
      ({ sessionId: id, path: dir }) => tool(async () => (await this.sessions.listFiles(user, id, dir ?? '.')).map((entry) => ({ ...entry, type: entry.type.toUpperCase() }))),
    );

    server.registerTool(
      'list_checkpoints',
      {
        description: 'List the git checkpoints of the workspace, newest first: commitHash, description, filesChanged, createdAt.',
        inputSchema: { sessionId, limit: z.number().int().min(1).max(100).optional().describe('How many (default 20).') },
      },
      ({ sessionId: id, limit }) => tool(async () => (await this.sessions.checkpoints(user, id, limit ?? 20, 0)).map((c) => ({ ...c, createdAt: c.createdAt.toISOString() }))),
    );

    server.registerTool(
      'checkpoint',
      {
        description: 'Commit the current state of the workspace as a checkpoint (before a risky change, or after a working step). Answers "Nothing changed" when the workspace equals the last checkpoint.',
        inputSchema: { sessionId, description: z.string().max(10_000).optional().describe('What this checkpoint holds, e.g. "tests pass".') },
      },
      ({ sessionId: id, description }) =>
        tool(async () => {
          const checkpoint = await this.sessions.commit(user, id, description);
          return checkpoint ? { ...checkpoint, createdAt: checkpoint.createdAt.toISOString() } : 'Nothing changed since the last checkpoint';
        }),
    );

    server.registerTool(
      'restore_checkpoint',
      {
        description: 'Put the workspace back exactly as it was at a checkpoint (files added since are removed). The restore itself is recorded as a new checkpoint, so it can be undone too.',
        inputSchema: { sessionId, commitHash: commitRef('commitHash').describe('The checkpoint\'s commitHash from list_checkpoints (a unique prefix of 7+ characters is enough).') },
      },
      ({ sessionId: id, commitHash: hash }) =>
        tool(async () => {
          const checkpoint = await this.workspace.restoreCheckpoint(user, id, hash);
          return { ...checkpoint, createdAt: checkpoint.createdAt.toISOString() };
        }),
    );

    server.registerTool(
      'git_diff',
      {
        description:
          'Show a unified diff of the workspace. Without arguments: uncommitted changes since the latest checkpoint. ' +
          'With from: changes since that checkpoint; with from and to: between two checkpoints.',
        inputSchema: {
          sessionId,
          from: commitRef('from').optional().describe('Checkpoint commitHash (or a unique prefix) to diff from (default: the latest checkpoint).'),
          to: commitRef('to').optional().describe('Checkpoint commitHash (or a unique prefix) to diff to (default: the workspace as it is now).'),
        },
      },
      ({ sessionId: id, from, to }) =>
        tool(async () => {
          const base = from ?? (await this.sessions.checkpoints(user, id, 1, 0))[0]?.commitHash;
          if (!base) throw DomainException.badRequest('The session has no checkpoint yet: create one with the checkpoint tool');
          const diff = await this.workspace.gitDiff(user, id, base, to);
          const notes = [diff.truncated ? '(diff truncated)' : '', diff.binaryFiles.length ? `binary files changed: ${diff.binaryFiles.join(', ')}` : ''].filter(Boolean);
          return [diff.diff || '(no changes)', ...notes].join('\n');
        }),
    );

    server.registerTool(
      'register_preview',
      {
        description: 'Expose a port of the sandbox as a preview URL (for a web server running in the sandbox, listening on 0.0.0.0). Returns the URL.',
        inputSchema: { sessionId, port: z.number().int().min(PREVIEW_PORT_MIN, { message: PreviewErrors.invalidPort }).max(PREVIEW_PORT_MAX, { message: PreviewErrors.invalidPort }).describe('The port the server listens on (1024-65535).') },
      },
      ({ sessionId: id, port }) => tool(async () => this.sessions.registerPreview(user, id, port)),
    );

    return server;
  }

  /** Creates the session and waits (bounded) for the manager's report that it runs or failed. */
  private async createAndWait(user: AuthenticatedUser, template: string | undefined) {
    const session = await this.sessions.create(user, { template });
    // Subscribed before reading the status again, so a report landing in between is not missed.
    const events = this.events.subscribe(session.id);
    const deadline = setTimeout(() => void events.return?.(), CREATE_WAIT_MS);
    try {
      let current = await this.sessions.get(user, session.id);
      while (current.status === GatewaySessionStatus.Pending) {
        const next = await events.next();
        if (next.done) break;
        current = await this.sessions.get(user, session.id);
      }
      return sessionView(current);
    } finally {
      clearTimeout(deadline);
      await events.return?.();
    }
  }

  /** Runs a tool body: a value becomes text (JSON for objects); a domain error becomes `isError` with its code and message. */
  private toolRunner() {
    return async (work: () => Promise<unknown>): Promise<CallToolResult> => {
      try {
        const value = await work();
        return { content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }] };
      } catch (error) {
        if (error instanceof DomainException) return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
        const errorId = randomUUID();
        this.logger.error({ err: error, errorId }, 'MCP tool failed');
        return { isError: true, content: [{ type: 'text', text: `INTERNAL_SERVER_ERROR: Internal server error (errorId ${errorId})` }] };
      }
    };
  }
}
