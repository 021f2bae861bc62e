import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@sandbox/testing';
import { SandboxClient, SandboxError } from '../src/index.js';
import { startPlatform, type TestPlatform } from './platform.js';

const CLI = join(REPO_ROOT, 'libs/sdk/dist/cli/main.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process with exactly `env` (plus PATH), as a script would. */
function sandbox(args: string[], env: Record<string, string>, input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('sandbox CLI', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  let platform: TestPlatform;
  let env: Record<string, string>;
  let sessionId: string;

  beforeAll(async () => {
    platform = await startPlatform('cli');
    env = { SANDBOX_API_URL: platform.gatewayUrl, SANDBOX_API_KEY: await platform.newKey() };
  }, 120_000);

  afterAll(async () => {
    if (sessionId) await sandbox(['sessions', 'delete', sessionId], env);
    await platform?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('should create a session (--json prints it, progress goes to stderr) and list it', async () => {
    const created = await sandbox(['--json', 'sessions', 'create', '--template', 'base'], env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const session = JSON.parse(created.stdout) as { id: string; status: string };
    sessionId = session.id;
    expect(session.status).toBe('ACTIVE');

    const listed = await sandbox(['sessions', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^ID\\s+STATUS\\s+TEMPLATE\\s+CREATED\\n${sessionId}\\s+ACTIVE\\s+base\\s`));
    const json = JSON.parse((await sandbox(['sessions', 'list', '--json'], env)).stdout) as { total: number; sessions: { id: string }[] };
    expect(json).toMatchObject({ total: 1, sessions: [{ id: sessionId }] });
  }, 120_000);

  it("should exec after --, print both streams and exit with the command's exit code", async () => {
    const failed = await sandbox(['exec', sessionId, '--', 'echo out; echo err >&2; exit 7'], env);
    expect(failed).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    const words = await sandbox(['exec', sessionId, '--', 'printf', '%s-%s', 'a', 'b'], env);
    expect(words).toEqual({ code: 0, stdout: 'a-b', stderr: '' });
    const json = await sandbox(['exec', '--json', sessionId, '--', 'exit 3'], env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 3, timedOut: false });
    const timedOut = await sandbox(['exec', '--timeout', '200', sessionId, '--', 'sleep 5'], env);
    expect(timedOut.code).toBe(124);
    expect(timedOut.stderr).toContain('killed after its timeout');
  });

  it('should copy a binary file into the sandbox and back out, byte for byte', async () => {
    const local = join(workDir, 'blob.bin');
    const bytes = randomBytes(50_000);
    writeFileSync(local, bytes);
    const up = await sandbox(['cp', local, `${sessionId}:data/blob.bin`], env);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`${sessionId}:data/blob.bin (50000 bytes)`);
    const size = await sandbox(['exec', sessionId, '--', 'wc -c < data/blob.bin'], env);
    expect(size.stdout.trim()).toBe('50000');

    const back = join(workDir, 'back.bin');
    const down = await sandbox(['cp', `${sessionId}:data/blob.bin`, back], env);
    expect(down.code).toBe(0);
    expect(readFileSync(back).equals(bytes)).toBe(true);
    const intoDir = await sandbox(['cp', `${sessionId}:data/blob.bin`, workDir], env);
    expect(intoDir.code).toBe(0);
    expect(readFileSync(join(workDir, 'blob.bin')).equals(bytes)).toBe(true);
  });

  it('should refuse cp without a sandbox side, or with a missing local file, as usage errors (exit 2)', async () => {
    const neither = await sandbox(['cp', 'a', 'b'], env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('cp needs one side written <sessionId>:<path>');
    const missing = await sandbox(['cp', join(workDir, 'nope'), `${sessionId}:x`], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('should run lines in the shell, remembering cd, and exit with the last code', async () => {
    const shell = await sandbox(['shell', sessionId], env, 'mkdir -p deep/er\ncd deep/er\npwd\nfalse\n');
    expect(shell.stdout).toMatch(/\/deep\/er\n$/);
    expect(shell.code).toBe(1);
  });

  it('should run a PTY shell with --pty: one real shell (cd kept, a tty of the asked size), input as typed, its exit code', async () => {
    const shell = await sandbox(['shell', '--pty', sessionId], env, 'cd /tmp\ntty; stty size; echo "in=$(pwd) $((6*7))"\nexit 5\n');
    expect(shell.stderr).toBe('');
    expect(shell.stdout).toMatch(/\/dev\/pts\/\d+\r?\n24 80\r?\nin=\/tmp 42\r?\n/);
    expect(shell.code).toBe(5);
  });

  it('should end a PTY shell at the end of piped input, with the code of its last command', async () => {
    const shell = await sandbox(['shell', '--pty', sessionId], env, 'echo "done-$((2+3))"\nfalse\n');
    expect(shell.stderr).toBe('');
    expect(shell.stdout).toMatch(/done-5\r?\n/);
    expect(shell.code).toBe(1);
  });

  it('should follow a run live until its last event, exiting 0 only when it completed, and replay it with logs', async () => {
    const client = new SandboxClient({ apiUrl: env.SANDBOX_API_URL, apiKey: env.SANDBOX_API_KEY });
    const child = spawn(process.execPath, [CLI, 'run', sessionId, 'test', '--input', '{"command":"echo from-run"}'], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // The run id is announced on stderr before the events; ending the run ends the stream however far the worker got.
    const runId = await new Promise<string>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /Run ([0-9a-f-]{36})/.exec(stderr);
        if (match) resolve(match[1]);
      }),
    );
    await client.runs.cancel(runId).catch((error: unknown) => {
      if (!(error instanceof SandboxError && error.code === 'CONFLICT')) throw error;
    });
    const code = await exited;
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\[1\] /);
    const last = lines.at(-1) ?? '';
    expect(last).toMatch(/^\[\d+\] (COMPLETE|ERROR) /);
    expect(code).toBe(last.includes(' COMPLETE ') ? 0 : 1);

    const logs = await sandbox(['--json', 'logs', runId], env);
    const events = logs.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string });
    expect(events.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(logs.code).toBe(code);
    await client.close();
  }, 60_000);

  it('should print a preview URL', async () => {
    const preview = await sandbox(['preview', sessionId, '3000'], env);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/^http.*3000.*\n$/);
    const bad = await sandbox(['preview', sessionId, '80'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('port must be an integer between 1024 and 65535');
  });

  it("should answer another owner's or an unknown session with a readable error and exit 1", async () => {
    const stranger = { ...env, SANDBOX_API_KEY: await platform.newKey() };
    const run = await sandbox(['exec', sessionId, '--', 'id'], stranger);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sandbox: Session ${sessionId} not found (NOT_FOUND)\n` });
  });

  it('should fail with a readable error and a non-zero exit for a bad key, and exit 2 without a key', async () => {
    const bad = await sandbox(['sessions', 'list'], { ...env, SANDBOX_API_KEY: 'sk_wrong' });
    expect(bad).toEqual({ code: 1, stdout: '', stderr: 'sandbox: A valid API key is required (Authorization: Bearer <key>) (UNAUTHENTICATED)\n' });
    const badJson = await sandbox(['--json', 'sessions', 'list'], { ...env, SANDBOX_API_KEY: 'sk_wrong' });
    expect(badJson.code).toBe(1);
    expect(JSON.parse(badJson.stderr)).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'A valid API key is required (Authorization: Bearer <key>)' } });
    const none = await sandbox(['sessions', 'list'], { SANDBOX_API_URL: env.SANDBOX_API_URL });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No API key: set SANDBOX_API_KEY or pass --api-key');
    const offline = await sandbox(['sessions', 'list'], { SANDBOX_API_KEY: 'sk_x', SANDBOX_API_URL: 'http://127.0.0.1:9' });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('Cannot reach the platform at http://127.0.0.1:9');
  });

  it('should exit 2 on an unknown command', async () => {
    const unknown = await sandbox(['bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'bogus'");
  });

  it('should delete the session', async () => {
    const deleted = await sandbox(['sessions', 'delete', sessionId], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted session ${sessionId}\n`);
    const gone = await sandbox(['exec', sessionId, '--', 'true'], env);
    expect(gone.code).toBe(1);
    sessionId = '';
  });
});
