import { createHash } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { AgentMcpServer, mcpTargetRefusal } from '@sandbox/contracts';
import { hostOf, publicHostLookup, resolvePublicHost, TargetRefusedError } from '@sandbox/shared';
import { WorkerConfig } from '../../config/worker-config';
import { ToolOutcome } from './sandbox-tools';
import { JsonSchema, ToolSpec } from './tool-call.normalizer';

/** Chat Completions accept tool names of 1-64 characters of A-Z a-z 0-9 _ -. */
export const TOOL_NAME_MAX = 64;
export const MCP_SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Bounds of what one server may add to the model's tools. */
const MAX_TOOLS_PER_SERVER = 128;
const MAX_LIST_PAGES = 16;
const MAX_DESCRIPTION_CHARS = 2_048;

/** An MCP server could not be used (unreachable, refused, not MCP). */
export class McpServerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = McpServerError.name;
  }
}

/** The tools of the run's MCP servers, open until `close`. */
export interface McpToolset {
  readonly tools: ToolSpec[];
  has(name: string): boolean;
  call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome>;
  close(): Promise<void>;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const sanitize = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, '_');

/** `mcp__<server>__<tool>`, cut to 64 characters with a short hash of the full name when longer. */
export function mcpToolName(server: string, tool: string): string {
  const full = `mcp__${sanitize(server)}__${sanitize(tool)}`;
  if (full.length <= TOOL_NAME_MAX) return full;
  const hash = createHash('sha256').update(`${server}\u0000${tool}`).digest('hex').slice(0, 8);
  return `${full.slice(0, TOOL_NAME_MAX - hash.length - 1)}_${hash}`;
}

/** The input schema as a Chat Completions `parameters`: an object schema, without `$schema`. */
function parametersOf(inputSchema: unknown): JsonSchema {
  const schema = typeof inputSchema === 'object' && inputSchema !== null && !Array.isArray(inputSchema) ? { ...(inputSchema as JsonSchema) } : {};
  delete schema.$schema;
  return { ...schema, type: 'object' };
}

/** An MCP tool result as text for the model: text parts as they are, other parts described. */
function textOf(result: Record<string, unknown>): string {
  const parts = Array.isArray(result.content) ? (result.content as Record<string, unknown>[]) : [];
  const texts = parts.map((part) => {
    switch (part.type) {
      case 'text':
        return str(part.text);
      case 'image':
      case 'audio':
        return `[${str(part.type)} ${str(part.mimeType)}, ${typeof part.data === 'string' ? Math.floor((part.data.length * 3) / 4) : 0} bytes, not shown]`;
      case 'resource': {
        const resource = (part.resource ?? {}) as Record<string, unknown>;
        return typeof resource.text === 'string' ? resource.text : `[resource ${str(resource.uri)}]`;
      }
      case 'resource_link':
        return `[resource ${str(part.uri)}]`;
      default:
        return `[${str(part.type) || 'unknown'} content]`;
    }
  });
  if (texts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return texts.join('\n');
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * MCP clients over Streamable HTTP: one client per server for one step, its tools listed once and
 * offered to the model as `mcp__<server>__<tool>`. Headers given for a server go only to that server.
 * The servers are the pipeline's, called from the worker's network, so they get the webhooks' target
 * rule (libs/shared public-targets): unless MCP_ALLOW_PRIVATE_TARGETS, the host is checked before
 * connecting, and every connection goes through an Agent whose lookup answers checked public
 * addresses only (a name re-pointed at a private address after the check is refused too).
 */
@Injectable()
export class McpToolsRepository implements OnModuleDestroy {
  private readonly logger = new Logger(McpToolsRepository.name);
  private readonly allowPrivate: boolean;
  private readonly agent: Agent;
  private readonly fetch: FetchLike;

  constructor(private readonly config: WorkerConfig) {
    this.allowPrivate = config.mcpAllowPrivateTargets;
    this.agent = new Agent({
      connect: { lookup: publicHostLookup(this.allowPrivate, (refused) => new McpServerError(refused.message)), timeout: config.mcpTimeoutMs },
      // A server's SSE stream may stay idle for long; each request is bounded by the SDK's timeout.
      bodyTimeout: 0,
    });
    // undici's fetch with the checking Agent; its Response is the WHATWG one the SDK reads.
    this.fetch = ((url: string | URL, init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(url, { ...init, dispatcher: this.agent })) as unknown as FetchLike;
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  /** Throws McpServerError when the server's host is not a public address (checked unless allowed). */
  private async checkTarget(server: AgentMcpServer): Promise<void> {
    if (this.allowPrivate) return;
    const host = hostOf(new URL(server.url));
    try {
      await resolvePublicHost(host, false);
    } catch (error) {
      if (error instanceof TargetRefusedError) throw new McpServerError(mcpTargetRefusal(server.name, host, error.address));
      throw error;
    }
  }

  async open(servers: AgentMcpServer[], signal: AbortSignal): Promise<McpToolset> {
    const timeout = this.config.mcpTimeoutMs;
    for (const server of servers) await this.checkTarget(server);
    const clients: Client[] = [];
    const routes = new Map<string, { client: Client; tool: string }>();
    const tools: ToolSpec[] = [];
    const close = async () => {
      await Promise.allSettled(clients.map((client) => client.close()));
    };
    try {
      for (const server of servers) {
        const client = new Client({ name: 'sandbox-agent', version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers ?? {}, redirect: 'error' }, fetch: this.fetch });
        try {
          await client.connect(transport, { signal, timeout });
          clients.push(client);
          let cursor: string | undefined;
          let pages = 0;
          let count = 0;
          do {
            const page = await client.listTools(cursor ? { cursor } : undefined, { signal, timeout });
            for (const tool of page.tools) {
              if (++count > MAX_TOOLS_PER_SERVER) break;
              const name = mcpToolName(server.name, tool.name);
              if (routes.has(name)) continue;
              routes.set(name, { client, tool: tool.name });
              tools.push({ name, description: `${tool.description ?? tool.title ?? tool.name}`.slice(0, MAX_DESCRIPTION_CHARS), parameters: parametersOf(tool.inputSchema) });
            }
            cursor = page.nextCursor;
          } while (cursor && ++pages < MAX_LIST_PAGES && count < MAX_TOOLS_PER_SERVER);
        } catch (error) {
          await client.close().catch(() => undefined);
          if (signal.aborted) throw error;
          // The URL is the pipeline's; its headers may hold secrets and are never put in a message.
          throw new McpServerError(`MCP server ${server.name} is unavailable: ${messageOf(error)}`, { cause: error });
        }
      }
    } catch (error) {
      await close();
      throw error;
    }
    this.logger.debug(`MCP tools: ${tools.map((tool) => tool.name).join(', ')}`);
    return {
      tools,
      has: (name) => routes.has(name),
      call: async (name, args, callSignal) => {
        const route = routes.get(name);
        if (!route) return { content: `Error: unknown MCP tool ${name}`, isError: true };
        try {
          const result = await route.client.callTool({ name: route.tool, arguments: args }, undefined, { signal: callSignal, timeout });
          const text = textOf(result);
          return result.isError === true ? { content: `[tool error] ${text}`, isError: true } : { content: text, isError: false };
        } catch (error) {
          if (callSignal.aborted) throw error;
          return { content: `[tool error] ${name} failed: ${messageOf(error)}`, isError: true };
        }
      },
      close,
    };
  }
}
