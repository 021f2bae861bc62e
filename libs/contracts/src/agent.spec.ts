import { boundConversation, ChatMessage } from './agent';

const system: ChatMessage = { role: 'system', content: 'You are an agent.' };
const turn = (n: number, size = 10): ChatMessage[] => [
  { role: 'user', content: `task ${n} ${'x'.repeat(size)}` },
  { role: 'assistant', content: null, tool_calls: [{ id: `call_${n}`, type: 'function', function: { name: 'exec', arguments: '{"command":"ls"}' } }] },
  { role: 'tool', tool_call_id: `call_${n}`, content: 'README.md' },
  { role: 'assistant', content: `done ${n}` },
];
const bytes = (messages: ChatMessage[]): number => Buffer.byteLength(JSON.stringify(messages));

describe(boundConversation.name, () => {
  it('should carry a conversation under the cap as it is', () => {
    const messages = [system, ...turn(1), ...turn(2)];
    expect(boundConversation(messages, 1_000_000)).toEqual(messages);
  });

  it('should drop the oldest whole turns first, keep the system prompt, and stay within the cap', () => {
    const messages = [system, ...turn(1, 500), ...turn(2, 500), ...turn(3, 500)];
    const cap = bytes([system, ...turn(2, 500), ...turn(3, 500)]);
    const bounded = boundConversation(messages, cap) ?? [];
    expect(bounded).toEqual([system, ...turn(2, 500), ...turn(3, 500)]);
    expect(bytes(bounded)).toBeLessThanOrEqual(cap);
    expect(boundConversation(messages, cap - 1)).toEqual([system, ...turn(3, 500)]);
  });

  it('should never keep a tool result without the call it answers', () => {
    const messages = [system, ...turn(1, 2_000), ...turn(2, 10)];
    const bounded = boundConversation(messages, bytes([system, ...turn(2, 10)]) + 100) ?? [];
    const calls = new Set(bounded.flatMap((m) => (m.role === 'assistant' ? (m.tool_calls ?? []).map((c) => c.id) : [])));
    expect(bounded.filter((m) => m.role === 'tool').every((m) => m.role === 'tool' && calls.has(m.tool_call_id))).toBe(true);
    expect(bounded[1]).toMatchObject({ role: 'user', content: expect.stringMatching(/^task 2/) as unknown });
  });

  it('should carry only the system prompt when even the latest turn is over the cap', () => {
    expect(boundConversation([system, ...turn(1, 5_000)], 1_000)).toEqual([system]);
  });

  it('should keep a conversation without a system prompt, turn by turn', () => {
    expect(boundConversation([...turn(1, 500), ...turn(2, 10)], bytes(turn(2, 10)) + 10)).toEqual(turn(2, 10));
  });

  it('should start afresh (null) from anything that is not a list of chat messages', () => {
    for (const odd of [null, undefined, 'text', {}, [], [{ role: 'wizard', content: 'x' }], [{ role: 'user', content: 7 }], [system, null]]) {
      expect(boundConversation(odd, 1_000)).toBeNull();
    }
  });
});
