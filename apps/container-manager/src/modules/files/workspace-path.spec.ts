import { DomainException } from '@sandbox/shared';
import { workspacePath } from './workspace-path';

describe(workspacePath.name, () => {
  it('should normalise paths that stay inside the workspace', () => {
    expect(workspacePath('a/b/../c.txt')).toBe('a/c.txt');
    expect(workspacePath('./dir/')).toBe('dir');
    expect(workspacePath('.')).toBe('.');
    expect(workspacePath('a/..')).toBe('.');
  });

  it.each(['../etc/passwd', 'a/../../x', '..', '/etc/passwd', '/workspace/a', 'a\0b', ''])('should refuse %j with a 400', (path) => {
    let caught: unknown;
    try {
      workspacePath(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainException);
    expect((caught as DomainException).httpStatus).toBe(400);
  });
});
