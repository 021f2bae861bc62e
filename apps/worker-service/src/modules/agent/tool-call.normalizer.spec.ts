import { RepeatedCallDetector, turnsLeftNote } from './agent-bounds';
import { BUILT_IN_TOOLS } from './sandbox-tools';
import { boundText, ToolCallNormalizer } from './tool-call.normalizer';

const normalizer = new ToolCallNormalizer(Object.values(BUILT_IN_TOOLS));
const ids = { runId: 'run-1', turn: 3 };

describe(ToolCallNormalizer.name, () => {
  it('should take arguments sent as a JSON string (OpenAI, vLLM)', () => {
    const { message, calls } = normalizer.normalize(
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/a.ts"}' } }] },
      ids,
    );
    expect(calls).toEqual([{ id: 'call_abc', name: 'read_file', args: { path: 'src/a.ts' }, error: null }]);
    expect(message).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'read_file', arguments: '{"path":"src/a.ts"}' } }] });
  });

  it('should take arguments sent as an object and echo them back as a JSON string (llama.cpp)', () => {
    const { message, calls } = normalizer.normalize({ role: 'assistant', content: '', tool_calls: [{ id: 'x1', type: 'function', function: { name: 'write_file', arguments: { path: 'a.txt', content: 'hi' } } }] }, ids);
    expect(calls[0]).toMatchObject({ args: { path: 'a.txt', content: 'hi' }, error: null });
    expect(message.tool_calls?.[0].function.arguments).toBe('{"path":"a.txt","content":"hi"}');
    expect(message.content).toBeNull();
  });

  it.each([[undefined], [null], [''], ['   ']])('should read missing or empty arguments (%p) as {}', (raw) => {
    const { calls } = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'list_files', arguments: raw } }] }, ids);
    expect(calls[0]).toMatchObject({ args: {}, error: null });
  });

  it('should synthesise missing ids and replace repeated ones, the same in the message and the calls', () => {
    const { message, calls } = normalizer.normalize(
      {
        tool_calls: [
          { type: 'function', function: { name: 'list_files', arguments: '{}' } },
          { id: 'dup', type: 'function', function: { name: 'list_files', arguments: '{"path":"a"}' } },
          { id: 'dup', type: 'function', function: { name: 'list_files', arguments: '{"path":"b"}' } },
        ],
      },
      ids,
    );
    expect(calls.map((call) => call.id)).toEqual(['call_run-1_3_0', 'dup', 'call_run-1_3_2']);
    expect(message.tool_calls?.map((call) => call.id)).toEqual(['call_run-1_3_0', 'dup', 'call_run-1_3_2']);
  });

  it('should parse arguments holding raw newlines inside strings by escaping them', () => {
    const raw = '{"path": "a.py", "content": "def f():\n\treturn 1\n"}';
    const { calls } = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'write_file', arguments: raw } }] }, ids);
    expect(calls[0]).toMatchObject({ args: { path: 'a.py', content: 'def f():\n\treturn 1\n' }, error: null });
  });

  it('should decode arguments encoded twice', () => {
    const { calls } = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'read_file', arguments: JSON.stringify(JSON.stringify({ path: 'x' })) } }] }, ids);
    expect(calls[0]).toMatchObject({ args: { path: 'x' }, error: null });
  });

  it('should turn invalid JSON into an error result, echoing {} so the history stays valid JSON', () => {
    const { message, calls } = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'exec', arguments: '{"command": "ls' } }] }, ids);
    expect(calls[0].args).toBeNull();
    expect(calls[0].error).toMatch(/^Error: the arguments of exec are not a valid JSON object \(.+\)\. Call exec again/);
    expect(calls[0].error).toContain('{"command": "ls');
    expect(message.tool_calls?.[0].function.arguments).toBe('{}');
  });

  it.each([
    ['an array', '[1,2]', /a JSON array instead of an object/],
    ['a number', '42', /a JSON number instead of an object/],
    ['a non-JSON string', '"just text"', /a JSON string instead of an object/],
  ])('should refuse arguments that are %s', (_, raw, expected) => {
    const { calls } = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'exec', arguments: raw } }] }, ids);
    expect(calls[0].error).toMatch(expected);
  });

  it('should answer an unknown tool with the list of valid names', () => {
    const { calls } = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'run_shell', arguments: '{}' } }] }, ids);
    expect(calls[0]).toEqual({ id: 'c', name: 'run_shell', args: null, error: 'Error: unknown tool "run_shell". Valid tools: exec, read_file, write_file, list_files, checkpoint, ask_user' });
  });

  it('should refuse a custom (non-function) call and a call without a name', () => {
    const { calls } = normalizer.normalize({ tool_calls: [{ id: 'a', type: 'custom', custom: { name: 'exec', input: 'ls' } }, { id: 'b', type: 'function', function: { arguments: '{}' } }] }, ids);
    expect(calls[0].error).toMatch(/only function tool calls are supported, got a "custom" call/);
    expect(calls[1].error).toMatch(/has no function name/);
  });

  it('should report missing required arguments and wrong types, and read numbers sent as strings', () => {
    const missing = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'write_file', arguments: '{"path":"a"}' } }] }, ids);
    expect(missing.calls[0].error).toBe('Error: invalid arguments for write_file: content is required (string)');
    const wrong = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'exec', arguments: '{"command":["ls"]}' } }] }, ids);
    expect(wrong.calls[0].error).toBe('Error: invalid arguments for exec: command must be a string, got an array');
    const coerced = normalizer.normalize({ tool_calls: [{ id: 'c', function: { name: 'exec', arguments: '{"command":"ls","timeoutMs":"5000"}' } }] }, ids);
    expect(coerced.calls[0].args).toEqual({ command: 'ls', timeoutMs: 5000 });
  });

  it('should decode an object or array argument that arrived as a JSON string', () => {
    const schema = { type: 'object', properties: { filter: { type: 'object' }, tags: { type: 'array' } }, required: ['filter'] };
    expect(ToolCallNormalizer.checkArguments(schema, { filter: '{"a":1}', tags: '["x"]' })).toEqual({ value: { filter: { a: 1 }, tags: ['x'] } });
    expect(ToolCallNormalizer.checkArguments(schema, { filter: 'nope' })).toEqual({ error: 'filter must be an object, got a string' });
  });

  it('should keep the text content of an answer without tool calls (Ollama sends tool_calls: [])', () => {
    const { message, calls } = normalizer.normalize({ role: 'assistant', content: 'All done.', tool_calls: [] }, ids);
    expect(calls).toEqual([]);
    expect(message).toEqual({ role: 'assistant', content: 'All done.' });
  });

  it('should not throw on a message of the wrong shape', () => {
    expect(normalizer.normalize(null, ids)).toEqual({ message: { role: 'assistant', content: null }, calls: [] });
    expect(normalizer.normalize({ tool_calls: [null, 7] }, ids).calls.map((call) => call.error)).toEqual([
      expect.stringMatching(/has no function name/),
      expect.stringMatching(/has no function name/),
    ]);
  });
});

describe(boundText.name, () => {
  it('should leave short text alone', () => {
    expect(boundText('hello', 100)).toBe('hello');
  });

  it('should keep the head and the tail within the byte bound, with a note of what was cut', () => {
    const text = `HEAD-${'x'.repeat(50_000)}-TAIL`;
    const bounded = boundText(text, 1_000);
    expect(Buffer.byteLength(bounded)).toBeLessThanOrEqual(1_000);
    expect(bounded.startsWith('HEAD-')).toBe(true);
    expect(bounded.endsWith('-TAIL')).toBe(true);
    expect(bounded).toMatch(/\[\.\.\. \d+ of 50010 bytes omitted: only the first and last part are shown \.\.\.\]/);
  });

  it('should not split a multi-byte character', () => {
    const bounded = boundText('é'.repeat(5_000), 500);
    expect(bounded).not.toContain('\uFFFD');
    expect(Buffer.byteLength(bounded)).toBeLessThanOrEqual(500);
  });
});

describe(RepeatedCallDetector.name, () => {
  const call = (command: string) => ({ id: Math.random().toString(), name: 'exec', args: { command }, error: null });

  it('should count identical calls in consecutive turns, whatever their ids and key order', () => {
    const detector = new RepeatedCallDetector();
    expect(detector.record([call('ls')])).toBe(1);
    expect(detector.record([call('ls')])).toBe(2);
    expect(detector.record([{ id: 'z', name: 'exec', args: { command: 'ls' }, error: null }])).toBe(3);
    expect(detector.record([call('pwd')])).toBe(1);
    expect(detector.record([call('ls')])).toBe(1);
  });
});

describe(turnsLeftNote.name, () => {
  it('should tell the model its turns left only on its last two turns', () => {
    expect(turnsLeftNote(1, 5)).toBeNull();
    expect(turnsLeftNote(3, 5)).toBeNull();
    expect(turnsLeftNote(4, 5)).toMatch(/2 turns left/);
    expect(turnsLeftNote(5, 5)).toMatch(/this is your last turn/);
  });
});
