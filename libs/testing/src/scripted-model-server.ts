import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received, as sent (body parsed from JSON). */
export interface ModelRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    model?: string;
    messages: Record<string, unknown>[];
    tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
    [key: string]: unknown;
  };
}

/** What the server answers to one Chat Completions request. */
export type ModelReply =
  /** An assistant message in the usual shape: text and/or tool calls with JSON-string arguments and ids. */
  | { content?: string | null; toolCalls?: { name: string; arguments: unknown; id?: string }[]; usage?: { prompt: number; completion: number } }
  /** The `choices[0].message` exactly as given: for servers' quirks (object arguments, no ids...). */
  | { rawMessage: unknown; usage?: { prompt: number; completion: number } }
  /** Any HTTP answer (errors, malformed bodies). */
  | { status: number; body: unknown };

/** A reply, or a function of the request and its index (0-based) that makes one. */
export type ModelStep = ModelReply | ((request: ModelRequest, index: number) => ModelReply);

/** One step per request in order, or one function for every request. */
export type ModelScript = ModelStep[] | ((request: ModelRequest, index: number) => ModelReply);

export interface ScriptedModelServer {
  /** The OpenAI-compatible base URL (`.../v1`), as LLM_BASE_URL takes it. */
  baseUrl: string;
  /** Every Chat Completions request received, in order. */
  requests: ModelRequest[];
  /** The messages of the n-th request. */
  messagesOf(index: number): Record<string, unknown>[];
  stop(): Promise<void>;
}

function completion(reply: ModelReply, index: number, model: string): { status: number; body: unknown } {
  if ('status' in reply) return reply;
  const usage = reply.usage ?? { prompt: 100, completion: 10 };
  let message: unknown;
  let finish = 'stop';
  if ('rawMessage' in reply) {
    message = reply.rawMessage;
    finish = 'tool_calls';
  } else {
    const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
      id: call.id ?? `call_${index}_${i}`,
      type: 'function',
      function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
    }));
    message = { role: 'assistant', content: reply.content ?? null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
    if (toolCalls.length > 0) finish = 'tool_calls';
  }
  return {
    status: 200,
    body: {
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    },
  };
}

/**
 * A real OpenAI-compatible HTTP server (POST /v1/chat/completions, non-streaming) whose answers a test
 * scripts, on a free loopback port. It records what it was sent, so a test asserts what the model saw.
 * A request beyond the script gets a 500 naming the problem.
 */
export async function startScriptedModelServer(script: ModelScript): Promise<ScriptedModelServer> {
  const requests: ModelRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/chat/completions') return send(404, { error: { message: `no route ${req.method} ${req.url}` } });
      let body: ModelRequest['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ModelRequest['body'];
      } catch {
        return send(400, { error: { message: 'invalid JSON body' } });
      }
      const request: ModelRequest = { method: req.method, path: req.url, headers: req.headers, body };
      const index = requests.length;
      requests.push(request);
      const step = Array.isArray(script) ? script[index] : script;
      const reply = typeof step === 'function' ? step(request, index) : step;
      if (!reply) return send(500, { error: { message: `the test script has no reply for request ${index + 1}` } });
      const answer = completion(reply, index, body.model ?? '');
      send(answer.status, answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    messagesOf: (index) => requests[index]?.body.messages ?? [],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
