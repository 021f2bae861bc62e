import { Injectable } from '@nestjs/common';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { AgentUsage, ChatMessage } from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { ToolSpec } from './tool-call.normalizer';

/** One answer of the model: its message as received (the normalizer makes it safe), and what it cost. */
export interface ModelTurn {
  message: unknown;
  finishReason: string | null;
  usage: AgentUsage;
}

/** The model could not be asked or did not answer usefully; the message says which and why. */
export class ModelRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ModelRequestError.name;
  }
}

const tokens = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

/**
 * The OpenAI-compatible Chat Completions endpoint (LLM_BASE_URL), through the official SDK. Nothing is
 * taken from the SDK's own environment variables: base URL, key, organisation and project are set here.
 */
@Injectable()
export class ChatModelRepository {
  private readonly client: OpenAI | null;
  private readonly model: string;
  private readonly timeoutMs: number;

  constructor(config: WorkerConfig) {
    const baseURL = config.llm.baseUrl;
    const apiKey = config.llm.apiKey;
    this.model = config.llm.model;
    this.timeoutMs = config.llm.timeoutMs;
    this.client = baseURL
      ? new OpenAI({
          baseURL,
          // Local servers need no key: the SDK insists on one, so a placeholder is given and its header removed.
          apiKey: apiKey ?? 'unused',
          defaultHeaders: apiKey ? {} : { Authorization: null },
          adminAPIKey: null,
          organization: null,
          project: null,
          webhookSecret: null,
          timeout: this.timeoutMs,
          maxRetries: config.llm.maxRetries,
          logLevel: 'off',
        })
      : null;
  }

  get configured(): boolean {
    return this.client !== null;
  }

  async complete(messages: ChatMessage[], tools: ToolSpec[], signal: AbortSignal): Promise<ModelTurn> {
    if (!this.client) throw new ModelRequestError('No language model configured');
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(
        {
          model: this.model,
          messages,
          // No tool_choice: "auto" is the default when tools are given, and vLLM refuses an explicit one
          // unless started with --enable-auto-tool-choice.
          ...(tools.length > 0
            ? { tools: tools.map((tool): ChatCompletionTool => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } })) }
            : {}),
        },
        { signal },
      );
    } catch (error) {
      throw this.describe(error);
    }
    const choice = Array.isArray(completion?.choices) ? completion.choices[0] : undefined;
    if (!choice || typeof choice.message !== 'object' || choice.message === null) {
      throw new ModelRequestError('Language model request failed: the answer has no message (expected choices[0].message)');
    }
    const usage = completion.usage;
    return {
      message: choice.message,
      finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
      usage: { promptTokens: tokens(usage?.prompt_tokens), completionTokens: tokens(usage?.completion_tokens), totalTokens: tokens(usage?.total_tokens) },
    };
  }

  private describe(error: unknown): Error {
    if (error instanceof APIUserAbortError) return error;
    if (error instanceof APIConnectionTimeoutError) return new ModelRequestError(`Language model request failed: no answer within ${this.timeoutMs} ms (LLM_TIMEOUT_MS)`, { cause: error });
    if (error instanceof APIConnectionError) {
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return new ModelRequestError(`Language model request failed: cannot reach ${this.client?.baseURL ?? 'the model'}${cause}`, { cause: error });
    }
    if (error instanceof APIError) return new ModelRequestError(`Language model request failed: ${error.message}`, { cause: error });
    return new ModelRequestError(`Language model request failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
