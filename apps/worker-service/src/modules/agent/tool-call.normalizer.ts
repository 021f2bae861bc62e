import { ChatMessage, ChatToolCall } from '@sandbox/contracts';

/** A JSON Schema of a tool's parameters, as the model is sent it. */
export type JsonSchema = Record<string, unknown>;

/** A tool as offered to the model. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
}

/** One call of the model's turn, made safe to act on: either `args` or `error` is set. */
export interface NormalizedToolCall {
  id: string;
  name: string;
  args: Record<string, unknown> | null;
  /** Why the call cannot run; sent back to the model as the call's result. */
  error: string | null;
}

export interface NormalizedTurn {
  /** The assistant message to keep in the transcript and echo back (ids filled in, arguments as JSON strings). */
  message: Extract<ChatMessage, { role: 'assistant' }>;
  calls: NormalizedToolCall[];
}

type Parsed = { value: Record<string, unknown> } | { error: string };

const SNIPPET_CHARS = 200;
const record = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
const snippet = (text: string): string => (text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}...` : text);

/** Escapes raw control characters found inside JSON strings (models emit literal newlines in code). */
function escapeControlCharactersInStrings(text: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (const char of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      else if (char < ' ') {
        out += `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
        continue;
      }
    } else if (char === '"') {
      inString = true;
    }
    out += char;
  }
  return out;
}

/** JSON with keys sorted, so that equal arguments give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = record(value);
  if (object) {
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Cuts `text` to at most `maxBytes` of UTF-8, keeping its head and tail with a note of what was left
 * out in between (the end of a build log matters as much as its start).
 */
export function boundText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const note = (omitted: number) => `\n\n[... ${omitted} of ${bytes} bytes omitted: only the first and last part are shown ...]\n\n`;
  const keep = Math.max(0, maxBytes - Buffer.byteLength(note(bytes)));
  const buffer = Buffer.from(text);
  const headBytes = Math.ceil(keep * 0.6);
  const tailBytes = keep - headBytes;
  // A cut inside a multi-byte character decodes to U+FFFD; drop those halves.
  const head = buffer.subarray(0, headBytes).toString('utf8').replace(/\uFFFD+$/, '');
  const tail = buffer.subarray(bytes - tailBytes).toString('utf8').replace(/^\uFFFD+/, '');
  return `${head}${note(bytes - Buffer.byteLength(head) - Buffer.byteLength(tail))}${tail}`;
}

/**
 * Makes the model's tool calls safe to act on, whatever the server that produced them (hosted APIs,
 * Ollama, llama.cpp, vLLM): arguments as a string, an object or nothing; invalid JSON; unknown tools;
 * missing or repeated ids; non-function calls. Nothing here throws: a call that cannot run carries an
 * `error`, which goes back to the model as that call's result so it can correct itself.
 */
export class ToolCallNormalizer {
  private readonly tools: Map<string, ToolSpec>;

  constructor(tools: ToolSpec[]) {
    this.tools = new Map(tools.map((tool) => [tool.name, tool]));
  }

  get toolNames(): string[] {
    return [...this.tools.keys()];
  }

  /** `raw` is the `message` of a Chat Completions choice, as received. */
  normalize(raw: unknown, ids: { runId: string; turn: number }): NormalizedTurn {
    const message = record(raw) ?? {};
    const content = typeof message.content === 'string' && message.content.length > 0 ? message.content : null;
    const rawCalls = Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]) : [];
    const seen = new Set<string>();
    const calls: NormalizedToolCall[] = [];
    const echoed: ChatToolCall[] = [];
    rawCalls.forEach((rawCall, index) => {
      const call = record(rawCall) ?? {};
      // Rule 4: servers that send no id (llama.cpp) or the same one twice get ids of ours, used in both messages.
      let id = typeof call.id === 'string' && call.id.trim() !== '' && call.id.length <= 256 ? call.id : '';
      if (!id || seen.has(id)) id = `call_${ids.runId}_${ids.turn}_${index}`;
      seen.add(id);
      const fn = record(call.function);
      const name = typeof fn?.name === 'string' ? fn.name : typeof call.name === 'string' ? call.name : '';
      const normalized = this.check(call, fn, name);
      calls.push({ id, name: name || 'unnamed', ...normalized });
      // Rule 6: history always carries arguments as a JSON string, and valid JSON even when the model's was
      // not (some servers re-parse history and would fail the whole request on it).
      echoed.push({ id, type: 'function', function: { name: name || 'unnamed', arguments: JSON.stringify(normalized.args ?? {}) } });
    });
    return { message: echoed.length > 0 ? { role: 'assistant', content, tool_calls: echoed } : { role: 'assistant', content }, calls };
  }

  private check(call: Record<string, unknown>, fn: Record<string, unknown> | null, name: string): Pick<NormalizedToolCall, 'args' | 'error'> {
    // Rule 7: only function calls are run; `custom` calls (free-form input) get an error.
    if (call.type !== undefined && call.type !== 'function') {
      return { args: null, error: `Error: only function tool calls are supported, got a "${typeof call.type === 'string' ? call.type : typeof call.type}" call. Valid tools: ${this.toolNames.join(', ')}` };
    }
    if (!name) return { args: null, error: `Error: the tool call has no function name. Valid tools: ${this.toolNames.join(', ')}` };
    // Rule 8: an unknown tool is answered with the valid names.
    const tool = this.tools.get(name);
    if (!tool) return { args: null, error: `Error: unknown tool "${name}". Valid tools: ${this.toolNames.join(', ') || '(none)'}` };
    const parsed = ToolCallNormalizer.parseArguments(fn?.arguments);
    // Rule 2: arguments that cannot be read are not acted upon.
    if ('error' in parsed) return { args: null, error: `Error: the arguments of ${name} are not a valid JSON object (${parsed.error}). Call ${name} again with a JSON object matching its parameters.` };
    const checked = ToolCallNormalizer.checkArguments(tool.parameters, parsed.value);
    if ('error' in checked) return { args: null, error: `Error: invalid arguments for ${name}: ${checked.error}` };
    return { args: checked.value, error: null };
  }

  /** Rule 1: an object as is, nothing as `{}`, a string parsed (again with control characters escaped on failure). */
  static parseArguments(raw: unknown): Parsed {
    if (raw === undefined || raw === null) return { value: {} };
    const object = record(raw);
    if (object) return { value: object };
    if (typeof raw !== 'string') return { error: `arguments of type ${Array.isArray(raw) ? 'array' : typeof raw}` };
    const text = raw.trim();
    if (text === '') return { value: {} };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (first) {
      try {
        value = JSON.parse(escapeControlCharactersInStrings(text));
      } catch {
        return { error: `${(first as Error).message}; received: ${snippet(text)}` };
      }
    }
    // Arguments encoded twice ("{\"path\":...}" as a JSON string) are decoded once more.
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        return { error: `a JSON string instead of an object; received: ${snippet(text)}` };
      }
    }
    const result = record(value);
    return result ? { value: result } : { error: `a JSON ${Array.isArray(value) ? 'array' : typeof value} instead of an object; received: ${snippet(text)}` };
  }

  /**
   * Rule 3: checks the arguments against the tool's schema, as far as a top-level `properties`/`required`
   * schema says, decoding once an object or array that arrived as a JSON string and reading numbers and
   * booleans sent as strings. Deeper checks are the tool's own (MCP servers validate their input).
   */
  static checkArguments(schema: JsonSchema, args: Record<string, unknown>): Parsed {
    const properties = record(schema.properties) ?? {};
    const required = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : [];
    const value: Record<string, unknown> = { ...args };
    const problems: string[] = [];
    for (const key of required) {
      if (value[key] === undefined || value[key] === null) problems.push(`${key} is required${typeOf(properties[key]) ? ` (${typeOf(properties[key])})` : ''}`);
    }
    for (const [key, given] of Object.entries(value)) {
      const type = typeOf(properties[key]);
      if (!type || given === undefined || given === null) continue;
      const coerced = coerce(given, type);
      if (coerced === undefined) problems.push(`${key} must be ${article(type)}, got ${describeType(given)}`);
      else value[key] = coerced;
    }
    return problems.length > 0 ? { error: problems.join('; ') } : { value };
  }
}

function typeOf(property: unknown): string | undefined {
  const type = record(property)?.type;
  return typeof type === 'string' ? type : undefined;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const describeType = (value: unknown): string => (Array.isArray(value) ? 'an array' : article(typeof value));

/** `given` as `type`, or undefined when it cannot be one. */
function coerce(given: unknown, type: string): unknown {
  switch (type) {
    case 'string':
      return typeof given === 'string' ? given : typeof given === 'number' || typeof given === 'boolean' ? String(given) : undefined;
    case 'integer':
    case 'number': {
      const number = typeof given === 'number' ? given : typeof given === 'string' && given.trim() !== '' ? Number(given) : NaN;
      if (!Number.isFinite(number)) return undefined;
      return type === 'integer' && !Number.isInteger(number) ? undefined : number;
    }
    case 'boolean':
      return typeof given === 'boolean' ? given : given === 'true' ? true : given === 'false' ? false : undefined;
    case 'object':
    case 'array': {
      let value = given;
      if (typeof value === 'string') {
        try {
          value = JSON.parse(value);
        } catch {
          return undefined;
        }
      }
      return type === 'array' ? (Array.isArray(value) ? value : undefined) : (record(value) ?? undefined);
    }
    default:
      return given;
  }
}
