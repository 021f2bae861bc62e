import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '@sandbox/testing';

/** The lint step must reject an app importing another app, whichever way the import is written. */
describe('Nx module boundaries', () => {
  // Only the boundary rule runs, and it needs no type information: without typescript-eslint's project
  // service no TypeScript server is left behind with a refresh timer pending when the file ends.
  const eslint = new ESLint({
    cwd: REPO_ROOT,
    ruleFilter: ({ ruleId }) => ruleId === '@nx/enforce-module-boundaries',
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  });
  // The rule resolves the importing file's project from disk, so the probe is a real, short-lived file.
  const boundaryErrors = async (filePath: string, code: string) => {
    const absolute = join(REPO_ROOT, filePath.replace(/\.ts$/, `-${process.pid}.ts`));
    writeFileSync(absolute, code);
    try {
      const [result] = await eslint.lintFiles([absolute]);
      return result.messages.filter((message) => message.ruleId === '@nx/enforce-module-boundaries');
    } finally {
      rmSync(absolute, { force: true });
    }
  };

  it('should reject a relative import of another app', async () => {
    const errors = await boundaryErrors(
      'apps/worker-service/src/boundary-probe.ts',
      "import { API_GATEWAY_SERVICE } from '../../api-gateway/src/service';\nexport const probe = API_GATEWAY_SERVICE;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('should reject a lib importing an app', async () => {
    const errors = await boundaryErrors(
      'libs/clients/src/boundary-probe.ts',
      "import { WORKER_SERVICE } from '../../../apps/worker-service/src/service';\nexport const probe = WORKER_SERVICE;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('should allow an app to import a lib by its alias', async () => {
    const errors = await boundaryErrors('apps/worker-service/src/boundary-probe.ts', "import { ErrorCode } from '@sandbox/contracts';\nexport const probe = ErrorCode.NotFound;\n");
    expect(errors).toEqual([]);
  });
});
