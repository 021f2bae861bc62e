import { exceedsJsonDepth } from './json-depth';

describe(exceedsJsonDepth.name, () => {
  const nested = (levels: number) => Buffer.from('['.repeat(levels) + ']'.repeat(levels));

  it('should allow nesting up to the limit and refuse one level more', () => {
    expect(exceedsJsonDepth(nested(64), 64)).toBe(false);
    expect(exceedsJsonDepth(nested(65), 64)).toBe(true);
    expect(exceedsJsonDepth(Buffer.from('{"a":'.repeat(65) + '1' + '}'.repeat(65)), 64)).toBe(true);
  });

  it('should count siblings once, not add them up', () => {
    expect(exceedsJsonDepth(Buffer.from(`[${Array.from({ length: 1000 }, () => '[[1]]').join(',')}]`), 3)).toBe(false);
  });

  it('should ignore brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(Buffer.from(JSON.stringify({ a: '[[[[{{{{', b: 'x\\"[[[[', c: 'é[[[[' })), 2)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from(JSON.stringify(['"', [[['x']]]])), 3)).toBe(true);
  });
});
