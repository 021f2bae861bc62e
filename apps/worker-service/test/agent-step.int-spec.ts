import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as McpServer } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Test } from '@nestjs/testing';
import { ServiceClientsModule } from '@sandbox/clients';
import { AgentStepEvent, AgentStepInput, ChatMessage, INTERNAL_KEY_HEADER, ManagerRoutes, NO_LANGUAGE_MODEL_MESSAGE } from '@sandbox/contracts';
import { serviceConfigModule } from '@sandbox/shared';
import { freePort, ModelScript, removeManagerContainers, ScriptedModelServer, ServiceProcess, startScriptedModelServer } from '@sandbox/testing';
import { WorkerEnvironment } from '../src/config/environment';
import { WorkerConfigModule } from '../src/config/worker-config.module';
import { AgentStepRunner } from '../src/modules/agent/agent-step.runner';
import { AgentModule } from '../src/modules/agent/agent.module';
import { internalKey, startManagerWithSession } from './worker-test-kit';

/** A small real MCP server (the SDK's server side over Streamable HTTP, stateless), recording the headers it gets. */
async function startMcpServer(): Promise<{ url: string; headers: IncomingHttpHeaders[]; stop(): Promise<void> }> {
  const headers: IncomingHttpHeaders[] = [];
  const http: Server = createServer((req, res) => {
    headers.push(req.headers);
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const server = new McpServer({ name: 'dictionary', version: '1.0.0' }, { capabilities: { tools: {} } });
        server.setRequestHandler(ListToolsRequestSchema, () => ({
          tools: [
            {
              name: 'lookup.word',
              description: 'Look a word up in the dictionary.',
              inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
            },
            { name: 'explode', description: 'Always fails.', inputSchema: { type: 'object', properties: {} } },
          ],
        }));
        server.setRequestHandler(CallToolRequestSchema, (request) => {
          if (request.params.name === 'lookup.word') return { content: [{ type: 'text', text: `${String(request.params.arguments?.word)}: a box of sand to play in` }] };
          return { content: [{ type: 'text', text: 'the dictionary is on fire' }], isError: true };
        });
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      })();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    headers,
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/**
 * The agent step against a REAL OpenAI-compatible HTTP server scripted per test, a REAL container-manager
 * (from dist/) with a real Docker sandbox, and a real MCP server: the model's calls really run in the sandbox.
 */
describe(`${AgentStepRunner.name} with a scripted model and the real container-manager`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-step-'));
  const managerId = `agent-${randomUUID().slice(0, 8)}`;
  const sessionId = randomUUID();
  let manager: ServiceProcess;
  const closers: (() => Promise<unknown>)[] = [];

  const shell = async (command: string): Promise<string> => {
    const response = await fetch(`${manager.url}${ManagerRoutes.exec(sessionId)}`, {
      method: 'POST',
      headers: { [INTERNAL_KEY_HEADER]: internalKey(), 'content-type': 'application/json' },
      body: JSON.stringify({ command }),
      signal: AbortSignal.timeout(60_000),
    });
    return ((await response.json()) as { stdout: string }).stdout;
  };

  /** The AgentModule as the worker wires it, configured by `env` (the worker's validated environment). */
  const runnerWith = async (env: Record<string, string | undefined>): Promise<AgentStepRunner> => {
    // The test's MCP servers listen on loopback: allowed here, refused in the test of that rule.
    const all: Record<string, string | undefined> = {
      CONTAINER_MANAGER_URL: manager.url,
      LLM_MAX_RETRIES: '0',
      LLM_BASE_URL: undefined,
      LLM_API_KEY: undefined,
      LLM_MODEL: undefined,
      MCP_ALLOW_PRIVATE_TARGETS: 'true',
      ...env,
    };
    const previous = Object.fromEntries(Object.keys(all).map((key) => [key, process.env[key]]));
    for (const [key, value] of Object.entries(all)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    try {
      const moduleRef = await Test.createTestingModule({ imports: [serviceConfigModule(WorkerEnvironment), WorkerConfigModule, ServiceClientsModule, AgentModule] }).compile();
      closers.push(() => moduleRef.close());
      return moduleRef.get(AgentStepRunner);
    } finally {
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  };

  const modelServer = async (script: ModelScript): Promise<ScriptedModelServer> => {
    const server = await startScriptedModelServer(script);
    closers.push(() => server.stop());
    return server;
  };

  const runnerFor = async (model: ScriptedModelServer, env: Record<string, string> = {}) => runnerWith({ LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'test-model', ...env });

  /** Input of one call of the step, with what it emits and saves recorded. */
  const step = (overrides: Partial<AgentStepInput> = {}) => {
    const events: AgentStepEvent[] = [];
    const saved: ChatMessage[][] = [];
    const input: AgentStepInput = {
      runId: randomUUID(),
      sessionId,
      instructions: 'Do the task.',
      transcript: null,
      signal: new AbortController().signal,
      emit: (event) => {
        events.push(event);
        return Promise.resolve();
      },
      saveTranscript: (transcript) => {
        saved.push(structuredClone(transcript));
        return Promise.resolve();
      },
      ...overrides,
    };
    return { input, events, saved, lastSaved: () => saved[saved.length - 1] };
  };

  const lastMessage = (model: ScriptedModelServer, request: number) => model.messagesOf(request).at(-1) as { role: string; content: string; tool_call_id?: string };

  beforeAll(async () => {
    manager = await startManagerWithSession(dataDir, managerId, sessionId);
  }, 180_000);

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });

  afterAll(async () => {
    // Deleting the session unmounts its volume, so the data directory can go.
    if (manager) await fetch(`${manager.url}/api/internal/sessions/${sessionId}`, { method: 'DELETE', headers: { [INTERNAL_KEY_HEADER]: internalKey() }, signal: AbortSignal.timeout(60_000) }).catch(() => undefined);
    removeManagerContainers(managerId);
    await manager?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should let the model write a file and run it in the sandbox, give it the real output, and finish with its answer', async () => {
    const model = await modelServer([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'tools/hello.sh', content: 'echo "hello $1"\n' } }], usage: { prompt: 100, completion: 20 } },
      { toolCalls: [{ name: 'exec', arguments: { command: 'sh tools/hello.sh agent && id -u' } }], usage: { prompt: 150, completion: 20 } },
      { content: 'I wrote tools/hello.sh and ran it.', usage: { prompt: 200, completion: 10 } },
    ]);
    const runner = await runnerFor(model, { LLM_API_KEY: 'sk-test-secret-key-123' });
    const { input, events, lastSaved } = step({ instructions: 'Write a hello script and run it.' });

    const result = await runner.run(input);

    expect(result).toEqual({ status: 'succeeded', summary: 'I wrote tools/hello.sh and ran it.', usage: { promptTokens: 450, completionTokens: 50, totalTokens: 500 }, turns: 3 });
    // The file really is in the sandbox's workspace.
    expect(await shell('cat /workspace/tools/hello.sh')).toBe('echo "hello $1"\n');
    // What the model was sent: the model name, the key, every built-in tool, the task, then each real result.
    expect(model.requests).toHaveLength(3);
    expect(model.requests[0].body.model).toBe('test-model');
    expect(model.requests[0].headers.authorization).toBe('Bearer sk-test-secret-key-123');
    expect(model.requests[0].body.tools?.map((tool) => tool.function.name)).toEqual(['exec', 'read_file', 'write_file', 'list_files', 'checkpoint', 'ask_user']);
    expect(model.messagesOf(0)).toEqual([expect.objectContaining({ role: 'system' }), { role: 'user', content: 'Write a hello script and run it.' }]);
    expect(lastMessage(model, 1)).toMatchObject({ role: 'tool', tool_call_id: 'call_0_0', content: expect.stringMatching(/^wrote 16 bytes to /) as unknown });
    expect(lastMessage(model, 2)).toEqual({ role: 'tool', tool_call_id: 'call_1_0', content: 'exit code: 0\n--- stdout ---\nhello agent\n1000\n' });
    // The assistant's calls are echoed back with string arguments.
    expect(model.messagesOf(2)[4]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: 'exec', arguments: '{"command":"sh tools/hello.sh agent && id -u"}' } }] });
    // Each turn and tool call is an event; usage adds up in PROGRESS; the key appears in none.
    expect(events.filter((event) => event.type === 'STEP').map((event) => event.message)).toEqual(['write_file: tools/hello.sh', 'exec: sh tools/hello.sh agent && id -u']);
    expect(events.filter((event) => event.type === 'PROGRESS').map((event) => (event.data as { usage: { totalTokens: number } }).usage.totalTokens)).toEqual([120, 290, 500]);
    expect(events.filter((event) => event.type === 'LOG' && event.message.startsWith('Turn '))).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain('sk-test-secret-key-123');
    // The saved transcript is the whole conversation, ready to be continued.
    expect(lastSaved().map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
  });

  it('should pause on ask_user with the question, then resume with the answer as the tool result and finish', async () => {
    const model = await modelServer([
      { content: 'I need to know the port.', toolCalls: [{ name: 'ask_user', arguments: { question: 'Which port should the server listen on?' }, id: 'ask-1' }] },
      (request) => ({ content: `Configured port ${String((request.body.messages.at(-1) as { content: string }).content)}.` }),
    ]);
    const runner = await runnerFor(model);
    const first = step();

    const paused = await runner.run(first.input);

    expect(paused).toMatchObject({ status: 'awaiting_input', question: 'Which port should the server listen on?', turns: 1 });
    const transcript = first.lastSaved();
    expect(transcript.at(-1)).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'ask-1', function: { name: 'ask_user' } }] });
    // No key configured: no Authorization header at all.
    expect(model.requests[0].headers.authorization).toBeUndefined();

    // Running again without the answer (a retried job) asks the same question and calls no model.
    expect(await runner.run(step({ transcript }).input)).toMatchObject({ status: 'awaiting_input', question: 'Which port should the server listen on?', turns: 0 });
    expect(model.requests).toHaveLength(1);

    const second = step({ transcript, answer: '8080' });
    const resumed = await runner.run(second.input);

    expect(resumed).toMatchObject({ status: 'succeeded', summary: 'Configured port 8080.', turns: 1 });
    expect(model.requests).toHaveLength(2);
    expect(lastMessage(model, 1)).toEqual({ role: 'tool', tool_call_id: 'ask-1', content: '8080' });
    expect(second.lastSaved().map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
  });

  it('should send invalid JSON arguments and unknown tools back to the model as error results, and run calls without ids or with object arguments', async () => {
    const model = await modelServer([
      { rawMessage: { role: 'assistant', content: null, tool_calls: [{ id: 'bad', type: 'function', function: { name: 'exec', arguments: '{"command": "ls' } }] } },
      { toolCalls: [{ name: 'run_shell', arguments: { cmd: 'ls' }, id: 'unknown' }] },
      // llama.cpp-style: no id, arguments as an object.
      { rawMessage: { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'exec', arguments: { command: 'echo recovered' } } }] } },
      { content: 'Recovered.' },
    ]);
    const runner = await runnerFor(model);
    const { input } = step();

    const result = await runner.run(input);

    expect(result).toMatchObject({ status: 'succeeded', summary: 'Recovered.', turns: 4 });
    expect(lastMessage(model, 1)).toMatchObject({ role: 'tool', tool_call_id: 'bad', content: expect.stringMatching(/^Error: the arguments of exec are not a valid JSON object/) as unknown });
    // The history the model gets back holds valid JSON, whatever it sent.
    expect(model.messagesOf(1).at(-2)).toMatchObject({ tool_calls: [{ id: 'bad', function: { arguments: '{}' } }] });
    expect(lastMessage(model, 2)).toEqual({
      role: 'tool',
      tool_call_id: 'unknown',
      content: 'Error: unknown tool "run_shell". Valid tools: exec, read_file, write_file, list_files, checkpoint, ask_user',
    });
    expect(lastMessage(model, 3)).toEqual({ role: 'tool', tool_call_id: `call_${input.runId}_3_0`, content: 'exit code: 0\n--- stdout ---\nrecovered\n' });
  });

  it('should stop a model that repeats the same call, after one nudge, with a clear failure', async () => {
    const model = await modelServer(() => ({ toolCalls: [{ name: 'exec', arguments: { command: 'echo again' } }] }));
    const runner = await runnerFor(model);
    const { input, lastSaved } = step();

    const result = await runner.run(input);

    expect(result).toMatchObject({ status: 'failed', reason: 'repeated_tool_call', error: 'Agent stopped: the model made the same tool call (exec) 3 times in a row', turns: 3 });
    expect(model.requests).toHaveLength(3);
    expect(lastMessage(model, 2).content).toContain('you made exactly this call in your previous turn too');
    // Every call has a result in the saved transcript, so the conversation can be continued.
    expect(lastSaved().at(-1)).toMatchObject({ role: 'tool', content: 'Not run: the same call was made 3 times in a row.' });
  });

  it('should tell the model its turns left and fail clearly at maxTurns', async () => {
    const model = await modelServer((_, index) => ({ toolCalls: [{ name: 'exec', arguments: { command: `echo ${index}` } }] }));
    const runner = await runnerFor(model, { AGENT_MAX_TURNS: '50' });
    const { input } = step({ maxTurns: 4 });

    const result = await runner.run(input);

    expect(result).toMatchObject({ status: 'failed', reason: 'max_turns', error: 'Agent stopped after 4 turns without a final answer (maxTurns 4)', turns: 4 });
    expect(model.requests).toHaveLength(4);
    expect(JSON.stringify(model.messagesOf(1))).not.toContain('turns left');
    expect(lastMessage(model, 2).content).toContain('2 turns left');
    expect(lastMessage(model, 3).content).toContain('this is your last turn');
  });

  it('should fail clearly when the model endpoint answers an error or no message', async () => {
    const failing = await modelServer([{ status: 500, body: { error: { message: 'model crashed' } } }]);
    expect(await (await runnerFor(failing)).run(step().input)).toMatchObject({ status: 'failed', reason: 'model_error', error: expect.stringMatching(/^Language model request failed: 500 .*model crashed/) as unknown });
    const empty = await modelServer([{ status: 200, body: { id: 'x', choices: [] } }]);
    expect(await (await runnerFor(empty)).run(step().input)).toMatchObject({
      status: 'failed',
      reason: 'model_error',
      error: 'Language model request failed: the answer has no message (expected choices[0].message)',
    });
  });

  it('should fail with the exact message when no model is configured', async () => {
    const runner = await runnerWith({});
    expect(await runner.run(step().input)).toEqual({
      status: 'failed',
      reason: 'no_model',
      error: NO_LANGUAGE_MODEL_MESSAGE,
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      turns: 0,
    });
    expect(NO_LANGUAGE_MODEL_MESSAGE).toBe('No language model configured (set LLM_BASE_URL)');
  });

  it('should cut a long tool output to its head and tail before the model sees it', async () => {
    const model = await modelServer([{ toolCalls: [{ name: 'exec', arguments: { command: "echo START; head -c 100000 /dev/zero | tr '\\0' x; echo; echo END" } }] }, { content: 'ok' }]);
    const runner = await runnerFor(model, { AGENT_TOOL_OUTPUT_MAX_BYTES: '1024' });

    expect(await runner.run(step().input)).toMatchObject({ status: 'succeeded' });
    const seen = lastMessage(model, 1).content;
    expect(Buffer.byteLength(seen)).toBeLessThanOrEqual(1024);
    expect(seen).toMatch(/^exit code: 0\n--- stdout ---\nSTART\nxxx/);
    expect(seen).toMatch(/xxx\nEND\n$/);
    expect(seen).toContain('bytes omitted');
  });

  it('should stop with a timeout when the run signal fires during a command', async () => {
    const model = await modelServer([{ toolCalls: [{ name: 'exec', arguments: { command: 'sleep 30' } }] }, { content: 'never' }]);
    const runner = await runnerFor(model);
    const controller = new AbortController();
    const { input } = step({
      signal: controller.signal,
      emit: (event) => {
        // The run's time is up while the command runs.
        if (event.type === 'STEP') setTimeout(() => controller.abort(new DOMException('The run timed out', 'TimeoutError')), 300);
        return Promise.resolve();
      },
    });

    expect(await runner.run(input)).toMatchObject({ status: 'failed', reason: 'timeout', error: 'Agent step timed out', turns: 1 });
    expect(model.requests).toHaveLength(1);
  });

  it('should offer the tools of an MCP server, call them with the server headers, and map isError to a tool error', async () => {
    const mcp = await startMcpServer();
    closers.push(() => mcp.stop());
    const model = await modelServer([
      { toolCalls: [{ name: 'mcp__dict__lookup_word', arguments: { word: 'sandbox' } }] },
      { toolCalls: [{ name: 'mcp__dict__explode', arguments: {} }] },
      { content: 'Looked it up.' },
    ]);
    const runner = await runnerFor(model);
    const { input, events } = step({ tools: ['read_file'], mcpServers: [{ name: 'dict', url: mcp.url, headers: { authorization: 'Bearer mcp-secret-token' } }] });

    const result = await runner.run(input);

    expect(result).toMatchObject({ status: 'succeeded', summary: 'Looked it up.', turns: 3 });
    const tools = model.requests[0].body.tools ?? [];
    expect(tools.map((tool) => tool.function.name)).toEqual(['read_file', 'mcp__dict__lookup_word', 'mcp__dict__explode']);
    expect(tools[1].function).toEqual({
      name: 'mcp__dict__lookup_word',
      description: 'Look a word up in the dictionary.',
      parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
    });
    expect(lastMessage(model, 1)).toMatchObject({ role: 'tool', content: 'sandbox: a box of sand to play in' });
    expect(lastMessage(model, 2)).toMatchObject({ role: 'tool', content: '[tool error] the dictionary is on fire' });
    expect(mcp.headers.length).toBeGreaterThan(0);
    expect(mcp.headers.every((headers) => headers.authorization === 'Bearer mcp-secret-token')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('mcp-secret-token');
  });

  it('should fail clearly when an MCP server cannot be reached, before asking the model', async () => {
    const model = await modelServer([{ content: 'never' }]);
    const runner = await runnerFor(model);
    const url = `http://127.0.0.1:${await freePort()}/mcp`;

    const result = await runner.run(step({ mcpServers: [{ name: 'gone', url }] }).input);

    expect(result).toMatchObject({ status: 'failed', reason: 'mcp_error', error: expect.stringMatching(/^MCP server gone is unavailable: /) as unknown });
    expect(model.requests).toHaveLength(0);
  });

  it.each([
    ['the loopback address', (port: number) => `http://127.0.0.1:${port}/mcp`, '127.0.0.1', /^127\.0\.0\.1$/],
    ['a name resolving to loopback', (port: number) => `http://localhost:${port}/mcp`, 'localhost', /^(127\.0\.0\.1|::1)$/],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data', '169.254.169.254', /^169\.254\.169\.254$/],
  ])('should refuse an MCP server on %s without connecting when private targets are not allowed', async (_what, urlOf, host, address) => {
    const mcp = await startMcpServer();
    closers.push(() => mcp.stop());
    const model = await modelServer([{ content: 'never' }]);
    const runner = await runnerFor(model, { MCP_ALLOW_PRIVATE_TARGETS: 'false' });
    const url = urlOf(Number(new URL(mcp.url).port));

    const result = await runner.run(step({ mcpServers: [{ name: 'inner', url, headers: { authorization: 'Bearer mcp-secret-token' } }] }).input);

    expect(result).toMatchObject({ status: 'failed', reason: 'mcp_error' });
    const prefix = `MCP server inner URL host ${host} resolves to `;
    expect(result.error?.startsWith(prefix)).toBe(true);
    expect(result.error?.slice(prefix.length).split(',')[0]).toMatch(address);
    expect(result.error).toContain('MCP servers may only be public addresses (set MCP_ALLOW_PRIVATE_TARGETS=true');
    expect(mcp.headers).toHaveLength(0);
    expect(model.requests).toHaveLength(0);
  });

  it('should refuse tools that do not exist', async () => {
    const model = await modelServer([{ content: 'never' }]);
    const runner = await runnerFor(model);
    expect(await runner.run(step({ tools: ['exec', 'rm_rf'] }).input)).toMatchObject({
      status: 'failed',
      reason: 'invalid_input',
      error: 'Unknown agent tools: rm_rf; known: exec, read_file, write_file, list_files, checkpoint, ask_user',
    });
  });
});
