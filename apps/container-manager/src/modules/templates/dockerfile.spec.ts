import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfileContext } from './build-context';
import { DockerfileError, parseDockerfile } from './dockerfile';

describe(parseDockerfile.name, () => {
  it('should rewrite template FROM lines to their images, keep stages and line numbers', () => {
    const text = 'ARG X=1\nFROM dev AS build\nRUN echo a \\\n# a comment inside\n  && echo b\nFROM \\\n  base\nCOPY --from=build /out /out\nFROM build\n';
    const parsed = parseDockerfile(text);
    expect(parsed.baseTemplates).toEqual(['dev', 'base']);
    const rendered = parsed.render((name) => `img-${name}:local`);
    expect(rendered.split('\n')).toEqual(['ARG X=1', 'FROM img-dev:local AS build', 'RUN echo a \\', '# a comment inside', '  && echo b', 'FROM img-base:local', '', 'COPY --from=build /out /out', 'FROM build', '']);
  });

  it.each([
    ['FROM ubuntu:22.04\n', 'Unknown base template ubuntu:22.04'],
    ['FROM dev\nRUN x \\\nADD http://x/ /y\n', undefined],
    ['RUN true\n', 'The Dockerfile has no FROM line'],
    ['FROM dev\nCOPY --from=0 /a /b\n', undefined],
    ['FROM dev\nCOPY --from=1 /a /b\n', 'Line 2: COPY --from must name an earlier stage, not 1'],
    ['FROM dev\nVOLUME /data\n', /^Instruction VOLUME is not allowed/],
    ['\n# syntax=docker/dockerfile:1\nFROM dev\n', 'Parser directives (# escape=, # syntax=) are not supported'],
  ])('should judge %j', (text, expected) => {
    if (expected === undefined) {
      expect(() => parseDockerfile(text)).not.toThrow();
      return;
    }
    expect(() => parseDockerfile(text)).toThrow(DockerfileError);
    expect(() => parseDockerfile(text)).toThrow(expected);
  });
});

describe(dockerfileContext.name, () => {
  it('should be a tar archive that tar reads back as exactly the Dockerfile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctx-'));
    try {
      const content = 'FROM dev\nRUN echo é\n'.repeat(100);
      writeFileSync(join(dir, 'ctx.tar'), dockerfileContext(content));
      expect(execFileSync('tar', ['-tf', join(dir, 'ctx.tar')], { encoding: 'utf8' })).toBe('Dockerfile\n');
      execFileSync('tar', ['-xf', join(dir, 'ctx.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(content);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
