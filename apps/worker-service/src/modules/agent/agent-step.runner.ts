import { Injectable, Logger } from '@nestjs/common';
import {
  AGENT_TOOL_NAMES,
  AgentFailureReason,
  AgentStepInput,
  AgentStepResult,
  AgentToolName,
  AgentUsage,
  ChatMessage,
  ChatToolCall,
  isAgentToolName,
  NO_LANGUAGE_MODEL_MESSAGE,
} from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { RepeatedCallDetector, REPEATED_CALL_LIMIT, turnsLeftNote } from './agent-bounds';
import { ChatModelRepository, ModelRequestError } from './chat-model.repository';
import { MCP_SERVER_NAME_PATTERN, McpServerError, McpToolset, McpToolsRepository } from './mcp-tools.repository';
import { BUILT_IN_TOOLS, SandboxTools, ToolOutcome } from './sandbox-tools';
import { boundText, NormalizedToolCall, ToolCallNormalizer, ToolSpec } from './tool-call.normalizer';

/** Bound of the previews of arguments, outputs and replies carried by events. */
const EVENT_PREVIEW_BYTES = 2_048;
const MAX_TURNS_LIMIT = 1_000;

const NOT_RUN_AFTER_QUESTION = 'Not run: this call came after ask_user in the same turn. Call it again if it is still needed.';
const INTERRUPTED = 'Error: interrupted: the step stopped before this call finished, so its outcome is unknown. Check the state and call it again if needed.';
const REPEAT_NUDGE = '[Note from the system: you made exactly this call in your previous turn too. If it did not help, try something else.]';

function systemPrompt(tools: string[]): string {
  return [
    'You are a software engineering agent working on the user\'s project inside an isolated sandbox.',
    'The project is in /workspace. Use the tools to inspect and change it; commands run there as an unprivileged user.',
    'Work step by step, check your work (run the project\'s tests when it has some), and when the task is done reply with a short summary of what you did, without calling a tool.',
    ...(tools.includes('ask_user') ? ['Use ask_user only when you cannot go on without a decision or information from the user.'] : []),
  ].join('\n');
}

/** A failure of the step that is answered as `failed` with this reason and message. */
class StepFailure extends Error {
  constructor(
    readonly reason: AgentFailureReason,
    message: string,
  ) {
    super(message);
  }
}

interface Prepared {
  transcript: ChatMessage[];
  /** Set when the transcript waits for an answer that was not given. */
  question: string | null;
}

const lastAssistantIndex = (transcript: ChatMessage[]): number => transcript.findLastIndex((message) => message.role === 'assistant');

/** The calls of the last assistant message that have no result yet, in order. */
function pendingCalls(transcript: ChatMessage[]): ChatToolCall[] {
  const index = lastAssistantIndex(transcript);
  const assistant = transcript[index];
  if (!assistant || assistant.role !== 'assistant' || !assistant.tool_calls) return [];
  const answered = new Set(transcript.slice(index + 1).flatMap((message) => (message.role === 'tool' ? [message.tool_call_id] : [])));
  return assistant.tool_calls.filter((call) => !answered.has(call.id));
}

function questionOf(call: ChatToolCall): string {
  const parsed = ToolCallNormalizer.parseArguments(call.function.arguments);
  const question = 'value' in parsed ? parsed.value.question : undefined;
  return typeof question === 'string' ? question : '';
}

function isChatMessage(value: unknown): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  switch (message.role) {
    case 'system':
    case 'user':
      return typeof message.content === 'string';
    case 'tool':
      return typeof message.content === 'string' && typeof message.tool_call_id === 'string';
    case 'assistant':
      return (
        (typeof message.content === 'string' || message.content === null) &&
        (message.tool_calls === undefined ||
          (Array.isArray(message.tool_calls) &&
            message.tool_calls.every((call: unknown) => {
              const fn = (call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } } | null) ?? {};
              return typeof fn.id === 'string' && typeof fn.function?.name === 'string' && typeof fn.function.arguments === 'string';
            })))
      );
    default:
      return false;
  }
}

/** The request's messages, with a note of the turns left added to the last user or tool message. */
function withNote(transcript: ChatMessage[], note: string | null): ChatMessage[] {
  if (!note) return transcript;
  const last = transcript[transcript.length - 1];
  // A note appended to the last message rather than a message of its own: some chat templates refuse a
  // system message after the first one, or a user message between tool results and the next answer.
  if (last && (last.role === 'tool' || last.role === 'user')) return [...transcript.slice(0, -1), { ...last, content: `${last.content}\n\n${note}` }];
  return [...transcript, { role: 'user', content: note }];
}

const summarize = (call: NormalizedToolCall): string => {
  const args = call.args ?? {};
  const first = ['command', 'path', 'question', 'description'].map((key) => args[key]).find((value) => typeof value === 'string');
  return typeof first === 'string' ? `${call.name}: ${first.length > 200 ? `${first.slice(0, 200)}...` : first}` : call.name;
};

/**
 * The agent step (docs/agent.md): asks the model, runs the tools it calls in the session's sandbox (or on
 * the run's MCP servers), gives the results back, and repeats until the model answers without a tool
 * call, asks the user a question, or a bound is reached. Every outcome is a result: it never throws.
 */
@Injectable()
export class AgentStepRunner {
  private readonly logger = new Logger(AgentStepRunner.name);

  constructor(
    private readonly config: WorkerConfig,
    private readonly model: ChatModelRepository,
    private readonly sandbox: SandboxTools,
    private readonly mcp: McpToolsRepository,
  ) {}

  async run(input: AgentStepInput): Promise<AgentStepResult> {
    const usage: AgentUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    let turns = 0;
    const failed = (reason: AgentFailureReason, error: string): AgentStepResult => ({ status: 'failed', reason, error, usage: { ...usage }, turns });
    if (!this.model.configured) return failed('no_model', NO_LANGUAGE_MODEL_MESSAGE);

    let toolset: McpToolset | null = null;
    let transcript: ChatMessage[] | null = null;
    try {
      const { maxTurns, builtIns } = this.checkInput(input);
      toolset = input.mcpServers && input.mcpServers.length > 0 ? await this.mcp.open(input.mcpServers, input.signal) : null;
      const specs: ToolSpec[] = [...builtIns.map((name) => BUILT_IN_TOOLS[name]), ...(toolset?.tools ?? [])];
      const normalizer = new ToolCallNormalizer(specs);
      const prepared = this.prepare(input, builtIns);
      transcript = prepared.transcript;
      await input.saveTranscript(transcript);
      if (prepared.question !== null) return await this.awaitAnswer(input, prepared.question, usage, turns);

      const repeats = new RepeatedCallDetector();
      for (let turn = 1; ; turn++) {
        if (turn > maxTurns) return failed('max_turns', `Agent stopped after ${maxTurns} turns without a final answer (maxTurns ${maxTurns})`);
        input.signal.throwIfAborted();
        const reply = await this.model.complete(withNote(transcript, turnsLeftNote(turn, maxTurns)), specs, input.signal);
        turns = turn;
        usage.promptTokens += reply.usage.promptTokens;
        usage.completionTokens += reply.usage.completionTokens;
        usage.totalTokens += reply.usage.totalTokens;
        const { message, calls } = normalizer.normalize(reply.message, { runId: input.runId, turn });
        transcript.push(message);
        await input.saveTranscript(transcript);
        await input.emit({
          type: 'LOG',
          message: calls.length > 0 ? `Turn ${turn}/${maxTurns}: the model calls ${calls.map((call) => call.name).join(', ')}` : `Turn ${turn}/${maxTurns}: the model answered`,
          data: {
            turn,
            maxTurns,
            finishReason: reply.finishReason,
            content: message.content === null ? null : boundText(message.content, EVENT_PREVIEW_BYTES),
            toolCalls: calls.map((call) => ({ id: call.id, name: call.name })),
            usage: reply.usage,
          },
        });
        await input.emit({ type: 'PROGRESS', message: `Turn ${turn} of at most ${maxTurns}, ${usage.totalTokens} tokens`, data: { turn, maxTurns, usage: { ...usage } } });

        if (calls.length === 0) {
          await input.emit({ type: 'LOG', message: 'Agent finished', data: { turns, usage: { ...usage } } });
          return { status: 'succeeded', summary: message.content ?? '', usage: { ...usage }, turns };
        }

        const repeated = repeats.record(calls);
        if (repeated >= REPEATED_CALL_LIMIT) {
          for (const call of calls) transcript.push({ role: 'tool', tool_call_id: call.id, content: `Not run: the same call was made ${repeated} times in a row.` });
          await input.saveTranscript(transcript);
          const names = [...new Set(calls.map((call) => call.name))].join(', ');
          return failed('repeated_tool_call', `Agent stopped: the model made the same tool call (${names}) ${repeated} times in a row`);
        }

        const question = await this.runCalls(input, calls, transcript, toolset, repeated > 1);
        await input.saveTranscript(transcript);
        if (question !== null) return await this.awaitAnswer(input, question, usage, turns);
      }
    } catch (error) {
      if (transcript) await input.saveTranscript(transcript).catch(() => undefined);
      if (input.signal.aborted) {
        // AbortSignal.timeout() and a DOMException('...', 'TimeoutError') both name the reason TimeoutError.
        const reason = (typeof input.signal.reason === 'object' && input.signal.reason !== null ? input.signal.reason : {}) as { name?: unknown; message?: unknown };
        if (reason.name === 'TimeoutError') return failed('timeout', 'Agent step timed out');
        return failed('cancelled', `Agent step cancelled${typeof reason.message === 'string' && reason.message ? `: ${reason.message}` : ''}`);
      }
      if (error instanceof StepFailure) return failed(error.reason, error.message);
      if (error instanceof ModelRequestError) return failed('model_error', error.message);
      if (error instanceof McpServerError) return failed('mcp_error', error.message);
      this.logger.error(`agent step of run ${input.runId} failed`, error instanceof Error ? error.stack : String(error));
      return failed('internal', `Agent step failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await toolset?.close();
    }
  }

  private checkInput(input: AgentStepInput): { maxTurns: number; builtIns: AgentToolName[] } {
    const maxTurns = input.maxTurns ?? this.config.agentMaxTurns;
    if (!Number.isInteger(maxTurns) || maxTurns < 1 || maxTurns > MAX_TURNS_LIMIT) throw new StepFailure('invalid_input', `maxTurns must be an integer from 1 to ${MAX_TURNS_LIMIT}`);
    const requested = input.tools ?? [...AGENT_TOOL_NAMES];
    const unknown = requested.filter((name) => !isAgentToolName(name));
    if (unknown.length > 0) throw new StepFailure('invalid_input', `Unknown agent tools: ${unknown.join(', ')}; known: ${AGENT_TOOL_NAMES.join(', ')}`);
    if (typeof input.instructions !== 'string') throw new StepFailure('invalid_input', 'instructions must be a string');
    const names = new Set<string>();
    for (const server of input.mcpServers ?? []) {
      if (!MCP_SERVER_NAME_PATTERN.test(server.name)) throw new StepFailure('invalid_input', `MCP server name must be 1-32 characters of A-Z a-z 0-9 _ -: ${server.name}`);
      if (names.has(server.name)) throw new StepFailure('invalid_input', `MCP server ${server.name} is listed twice`);
      names.add(server.name);
      let protocol = '';
      try {
        protocol = new URL(server.url).protocol;
      } catch {
        // reported below
      }
      if (protocol !== 'http:' && protocol !== 'https:') throw new StepFailure('invalid_input', `MCP server ${server.name} needs an http(s) URL`);
    }
    return { maxTurns, builtIns: AGENT_TOOL_NAMES.filter((name) => requested.includes(name)) };
  }

  /**
   * The conversation to go on with. A fresh one is the system prompt and the instructions. A saved one
   * resumes where it stopped: a pending ask_user gets `answer` as its result; calls whose result never
   * came (the worker stopped mid-turn) get an "interrupted" result instead of running twice; a finished
   * conversation goes on with `answer` or, without one, the instructions as the next user message.
   */
  private prepare(input: AgentStepInput, tools: AgentToolName[]): Prepared {
    if (input.transcript === null) {
      return { transcript: [{ role: 'system', content: systemPrompt(tools) }, { role: 'user', content: input.instructions }], question: null };
    }
    if (!Array.isArray(input.transcript) || !input.transcript.every(isChatMessage)) throw new StepFailure('invalid_input', 'The saved transcript is not a list of chat messages');
    const transcript = [...input.transcript];
    const pending = pendingCalls(transcript);
    const ask = pending.findIndex((call) => call.function.name === 'ask_user');
    let answerUsed = false;
    for (const [index, call] of pending.entries()) {
      if (ask === -1 || index < ask) {
        transcript.push({ role: 'tool', tool_call_id: call.id, content: INTERRUPTED });
      } else if (index === ask) {
        if (input.answer === undefined) return { transcript, question: questionOf(call) };
        transcript.push({ role: 'tool', tool_call_id: call.id, content: input.answer });
        answerUsed = true;
      } else {
        transcript.push({ role: 'tool', tool_call_id: call.id, content: NOT_RUN_AFTER_QUESTION });
      }
    }
    const last = transcript[transcript.length - 1];
    if (input.answer !== undefined && !answerUsed) transcript.push({ role: 'user', content: input.answer });
    else if (input.answer === undefined && last?.role === 'assistant') transcript.push({ role: 'user', content: input.instructions });
    return { transcript, question: null };
  }

  /** Runs a turn's calls in order; returns the question of an ask_user call, which pauses the step. */
  private async runCalls(input: AgentStepInput, calls: NormalizedToolCall[], transcript: ChatMessage[], toolset: McpToolset | null, repeated: boolean): Promise<string | null> {
    const maxBytes = this.config.agentToolOutputMaxBytes;
    const turnStart = transcript.length;
    for (const call of calls) {
      if (call.args && call.name === 'ask_user') {
        // Its result is the user's answer; the calls after it wait for the next run (prepare).
        const question = typeof call.args.question === 'string' ? call.args.question : '';
        return question;
      }
      await input.emit({ type: 'STEP', message: summarize(call), data: { callId: call.id, tool: call.name, arguments: boundText(JSON.stringify(call.args ?? {}), EVENT_PREVIEW_BYTES) } });
      const outcome = call.args ? await this.runTool(input, call.name, call.args, toolset) : { content: call.error ?? 'Error: the call cannot run', isError: true };
      const content = boundText(outcome.content, maxBytes);
      transcript.push({ role: 'tool', tool_call_id: call.id, content });
      await input.emit({
        type: 'LOG',
        message: `${call.name} ${outcome.isError ? 'failed' : 'done'}`,
        data: { callId: call.id, tool: call.name, isError: outcome.isError, output: boundText(outcome.content, EVENT_PREVIEW_BYTES) },
      });
    }
    const last = transcript[transcript.length - 1];
    if (repeated && transcript.length > turnStart && last.role === 'tool') last.content = `${last.content}\n\n${REPEAT_NUDGE}`;
    return null;
  }

  private runTool(input: AgentStepInput, name: string, args: Record<string, unknown>, toolset: McpToolset | null): Promise<ToolOutcome> {
    if (isAgentToolName(name) && name !== 'ask_user') return this.sandbox.run(name, args, { sessionId: input.sessionId, signal: input.signal });
    if (toolset?.has(name)) return toolset.call(name, args, input.signal);
    return Promise.resolve({ content: `Error: unknown tool "${name}"`, isError: true });
  }

  private async awaitAnswer(input: AgentStepInput, question: string, usage: AgentUsage, turns: number): Promise<AgentStepResult> {
    await input.emit({ type: 'LOG', message: 'The agent asks the user', data: { question } });
    return { status: 'awaiting_input', question, usage: { ...usage }, turns };
  }
}
