import { matchesAnyKey, parseInternalKeys } from './internal-service-key.guard';

describe('internal key matching', () => {
  it('should split a comma-separated key list and drop blanks', () => {
    expect(parseInternalKeys(' a-key , b-key ,, ')).toEqual(['a-key', 'b-key']);
    expect(parseInternalKeys(undefined)).toEqual([]);
  });

  it('should match any configured key and nothing else', () => {
    const keys = ['first-key-0000000000', 'second-key-111111111'];
    expect(matchesAnyKey('first-key-0000000000', keys)).toBe(true);
    expect(matchesAnyKey('second-key-111111111', keys)).toBe(true);
    expect(matchesAnyKey('first-key-000000000', keys)).toBe(false);
    expect(matchesAnyKey('', keys)).toBe(false);
    expect(matchesAnyKey('first-key-0000000000', [])).toBe(false);
  });
});
