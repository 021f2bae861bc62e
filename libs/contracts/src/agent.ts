/**
 * The agent step of runs (docs/agent.md): a language model with tools working in a session's sandbox.
 * The worker's run executor calls it; the gateway stores its transcript between calls.
 */

/** The built-in tools, by the names the model sees. */
export const AGENT_TOOL_NAMES = ['exec', 'read_file', 'write_file', 'list_files', 'checkpoint', 'ask_user'] as const;
export type AgentToolName = (typeof AGENT_TOOL_NAMES)[number];

export const isAgentToolName = (name: string): name is AgentToolName => (AGENT_TOOL_NAMES as readonly string[]).includes(name);

/** The step's failure when no model endpoint is configured. */
export const NO_LANGUAGE_MODEL_MESSAGE = 'No language model configured (set LLM_BASE_URL)';

/** A tool call as it is kept in the transcript and sent back to the model: `arguments` is always a JSON string. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of the conversation, in the Chat Completions shape. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface AgentMcpServer {
  /** Key of the server in tool names (`mcp__<name>__<tool>`): 1-32 characters of A-Z a-z 0-9 _ -. */
  name: string;
  /** Streamable HTTP endpoint of the server. */
  url: string;
  /** Sent with every request to the server (e.g. Authorization); never logged nor put in an event. */
  headers?: Record<string, string>;
}

/**
 * An MCP server URL whose host is not a public address (or does not resolve), refused where the
 * pipeline is registered and again when the worker connects (`address` null: it does not resolve).
 */
export function mcpTargetRefusal(server: string, host: string, address: string | null): string {
  if (address === null) return `MCP server ${server} URL host ${host} does not resolve`;
  return `MCP server ${server} URL host ${host} resolves to ${address}, a loopback, private, link-local or otherwise non-public address; MCP servers may only be public addresses (set MCP_ALLOW_PRIVATE_TARGETS=true to allow them, for local development only)`;
}

export type AgentStepEventType = 'LOG' | 'STEP' | 'PROGRESS';

export interface AgentStepEvent {
  type: AgentStepEventType;
  message: string;
  data?: unknown;
}

export interface AgentUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface AgentStepInput {
  runId: string;
  sessionId: string;
  /** The task, sent as the user's message of a fresh conversation (or of a continued one, see docs/agent.md). */
  instructions: string;
  /** Model calls allowed in this call of the step; AGENT_MAX_TURNS when omitted. */
  maxTurns?: number;
  /** Subset of AGENT_TOOL_NAMES offered to the model; all of them when omitted. */
  tools?: string[];
  mcpServers?: AgentMcpServer[];
  /** The conversation so far, as last saved; null starts a fresh one. */
  transcript: ChatMessage[] | null;
  /** The user's answer to a pending ask_user (or, with none pending, the next user message). */
  answer?: string;
  /** Aborted on cancel or when the run's time is up; the step then stops and answers `failed`. */
  signal: AbortSignal;
  emit(event: AgentStepEvent): Promise<void>;
  /** Called after each model turn and each turn's tool results, and before the step answers. */
  saveTranscript(transcript: ChatMessage[]): Promise<void>;
}

/** Why a step failed, for callers that act on it (e.g. offer to continue after `max_turns`). */
export type AgentFailureReason =
  | 'no_model'
  | 'invalid_input'
  | 'model_error'
  | 'max_turns'
  | 'repeated_tool_call'
  | 'mcp_error'
  | 'timeout'
  | 'cancelled'
  | 'internal';

export interface AgentStepResult {
  status: 'succeeded' | 'awaiting_input' | 'failed';
  /** The pending ask_user question (awaiting_input). */
  question?: string;
  /** The model's final answer (succeeded). */
  summary?: string;
  error?: string;
  reason?: AgentFailureReason;
  usage: AgentUsage;
  /** Model calls made by this call of the step. */
  turns: number;
}

/** Bytes (as JSON) of the earlier conversation a continuation run carries over, at most. */
export const CONTINUATION_TRANSCRIPT_MAX_BYTES = 262_144;

const jsonBytes = (value: unknown): number => new TextEncoder().encode(JSON.stringify(value)).length;

/**
 * An earlier conversation cut to at most `maxBytes` (as JSON) for a continuation: the system prompt
 * is kept, then the most recent whole turns that fit (a turn starts at a user message and holds the
 * assistant's answers and tool results up to the next one), so no tool result is kept without the call
 * it answers. The oldest turns are dropped first; when even the latest turn does not fit, only the
 * system prompt is carried. Null when `messages` is not a list of chat messages (start afresh).
 */
export function boundConversation(messages: unknown, maxBytes: number): ChatMessage[] | null {
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isChatMessageShape)) return null;
  const all = messages;
  const head = all[0].role === 'system' ? [all[0]] : [];
  const turns: ChatMessage[][] = [];
  for (const message of all.slice(head.length)) {
    if (message.role === 'user' || turns.length === 0) turns.push([message]);
    else turns[turns.length - 1].push(message);
  }
  let size = jsonBytes(head);
  const kept: ChatMessage[][] = [];
  for (const turn of turns.reverse()) {
    // Each message adds its JSON and a comma to the array's.
    const bytes = turn.reduce((sum, message) => sum + jsonBytes(message) + 1, 0);
    if (size + bytes > maxBytes) break;
    size += bytes;
    kept.unshift(turn);
  }
  return [...head, ...kept.flat()];
}

function isChatMessageShape(value: unknown): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { role, content } = value as { role?: unknown; content?: unknown };
  if (role === 'assistant') return typeof content === 'string' || content === null;
  return (role === 'system' || role === 'user' || role === 'tool') && typeof content === 'string';
}
