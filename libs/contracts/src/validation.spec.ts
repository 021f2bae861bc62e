import { validateSync } from 'class-validator';
import { ExecLimits, IsCommand, IsEnvMap, IsImageName, isCommand, isEnvMap, isSessionId, IsSessionId } from './validation';

class Probe {
  @IsSessionId()
  sessionId: unknown;

  @IsCommand()
  command: unknown;

  @IsEnvMap()
  env: unknown;

  @IsImageName()
  image: unknown;
}

const errorsOf = (values: Partial<Record<keyof Probe, unknown>>): string[] => {
  const probe = Object.assign(new Probe(), { sessionId: '0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d', command: 'true', env: {}, image: 'sandbox-base:local' }, values);
  return validateSync(probe).flatMap((error) => Object.values(error.constraints ?? {}));
};

describe('validation', () => {
  it('should accept lower-case UUIDs as session ids and nothing else', () => {
    expect(isSessionId('0b6a3c1e-2f4d-4a5b-9c8d-7e6f5a4b3c2d')).toBe(true);
    for (const bad of ['0B6A3C1E-2F4D-4A5B-9C8D-7E6F5A4B3C2D', 's-ok', '../etc', '', 42, null]) expect(isSessionId(bad)).toBe(false);
    expect(errorsOf({ sessionId: 'not-a-uuid' })).toEqual(['sessionId must be a UUID']);
  });

  it('should take a command up to the limit, as a string or an argv, and refuse the rest', () => {
    const longest = 'x'.repeat(ExecLimits.commandMaxLength);
    expect(isCommand(longest)).toBe(true);
    expect(isCommand(['sh', '-c', longest])).toBe(true);
    for (const bad of [`${longest}x`, ' ', 'a\0b', [], [''], ['ls', 1], new Array(ExecLimits.argvMaxItems + 1).fill('a')]) expect(isCommand(bad)).toBe(false);
    expect(errorsOf({ command: '' })[0]).toMatch(/^command must be a non-empty string/);
  });

  it('should take at most the limit of environment variables with POSIX names', () => {
    const full = Object.fromEntries(Array.from({ length: ExecLimits.envMaxEntries }, (_, i) => [`V${i}`, 'x']));
    expect(isEnvMap(full)).toBe(true);
    expect(isEnvMap({ ...full, ONE_MORE: 'x' })).toBe(false);
    for (const bad of [{ '1BAD': 'x' }, { A: 1 }, { A: 'a\0b' }, { A: 'x'.repeat(ExecLimits.envValueMaxLength + 1) }, ['A=b'], null]) expect(isEnvMap(bad)).toBe(false);
    expect(errorsOf({ env: { 'BAD-NAME': 'x' } })[0]).toMatch(/^env must map variable names/);
  });

  it('should take docker image references only', () => {
    expect(errorsOf({ image: 'debian:bookworm' })).toEqual([]);
    expect(errorsOf({ image: 'Sandbox Base' })).toEqual(['image must be a docker image reference']);
  });
});
