import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Browser, Page } from 'playwright-core';
import { freePort, removeDataDir, REPO_ROOT, requireStackVar, ServiceProcess, spawnService, waitForHealthy } from '@sandbox/testing';
import { gql, startGateway, TestGateway } from '../support/gateway';
import { launchChromium } from './chromium';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
/** Built by `npm run build` (Vite), as the gateway serves it in production. */
const CONSOLE_DIR = join(REPO_ROOT, 'dist/console');
/** Screenshots of each step, kept after the run as test artifacts. */
const ARTIFACTS = join(REPO_ROOT, '.data/test-artifacts/console');

async function activeSession(gateway: TestGateway, key: string): Promise<string> {
  const created = await gql(gateway, key, 'mutation { createSession(input: { template: "base" }) { id } }');
  const id = created.data?.createSession.id as string;
  for (let i = 0; i < 600; i++) {
    const res = await gql(gateway, key, 'query($id: ID!) { session(id: $id) { status } }', { id });
    if (res.data?.session?.status === 'ACTIVE') return id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`session ${id} did not become ACTIVE`);
}

describe('Web console at /console (real Chromium)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-console-'));
  const managerId = `console-${randomUUID().slice(0, 8)}`;
  let gateway: TestGateway;
  let manager: ServiceProcess;
  let chromium: { browser: Browser; close(): Promise<void> };
  let alice: { key: string };
  let bob: { key: string };
  let aliceSession: string;
  let bobSession: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const managerPort = await freePort();
    gateway = await startGateway({ CONTAINER_MANAGER_URL: `http://127.0.0.1:${managerPort}`, CONSOLE_DIR });
    manager = spawnService('container-manager', {
      PORT: String(managerPort),
      DATA_DIR: dataDir,
      API_GATEWAY_URL: gateway.url,
      INTERNAL_SERVICE_KEY: gateway.internalKey,
      SANDBOX_TEST_LABEL: 'true',
      SANDBOX_MANAGER_ID: managerId,
      // The terminal is a PTY served by the in-sandbox agent.
      SANDBOX_AGENT_BINARY: requireStackVar('SANDBOX_AGENT_BINARY'),
      OUTBOX_BACKOFF_BASE_MS: '100',
      OUTBOX_POLL_MS: '100',
    });
    await waitForHealthy(manager, 60_000);
    alice = await gateway.newUser();
    bob = await gateway.newUser();
    [aliceSession, bobSession] = await Promise.all([activeSession(gateway, alice.key), activeSession(gateway, bob.key)]);
    // Two checkpoints: notes.txt "one", then "two" (the manager may commit either write on its own first).
    for (const content of ['one', 'two']) {
      await gql(gateway, alice.key, 'mutation($id: ID!, $c: String!) { writeFile(sessionId: $id, path: "notes.txt", content: $c) }', { id: aliceSession, c: `${content}\n` });
      await gql(gateway, alice.key, 'mutation($id: ID!, $d: String) { commitCheckpoint(sessionId: $id, description: $d) { id } }', { id: aliceSession, d: content });
    }
    chromium = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    for (const [key, id] of [[alice?.key, aliceSession], [bob?.key, bobSession]]) {
      if (key && id) await gql(gateway, key, 'mutation($id: ID!) { deleteSession(id: $id) }', { id }).catch(() => undefined);
    }
    await manager?.stop();
    await gateway?.close();
    for (const c of await docker.listContainers({ all: true, filters: { label: [`sandbox.manager-id=${managerId}`] } })) await docker.getContainer(c.Id).remove({ force: true });
    removeDataDir(dataDir);
  });

  async function openConsole(key: string): Promise<Page> {
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${gateway.url}/console/#key=${encodeURIComponent(key)}`);
    return page;
  }

  it('should serve the built app with its security headers, and 404 for a missing asset', async () => {
    const page = await fetch(`${gateway.url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"></div>');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${gateway.url}/console/sessions/anything`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/console/assets/missing.js`)).status).toBe(404);
  });

  it("should list the key's sessions only, run a command in the terminal, and show a checkpoint's diff", async () => {
    const page = await openConsole(alice.key);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.locator(`[data-session-id="${aliceSession}"]`).waitFor();
    expect(await page.locator(`[data-session-id="${bobSession}"]`).count()).toBe(0);
    // The key left the address bar (and the history) once read.
    expect(await page.evaluate<string>('location.hash')).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, '1-sessions.png') });

    await page.locator(`[data-session-id="${aliceSession}"]`).click();
    const input = page.getByTestId('terminal-input');
    const output = page.getByTestId('terminal-output');
    // One shell on a PTY for the whole visit: a tty, and cd and variables kept between lines.
    for (const line of ['tty', 'cd /tmp && X=kept', 'echo "at $(pwd) $X"']) {
      await input.fill(line);
      await input.press('Enter');
    }
    await output.getByText('at /tmp kept').waitFor();
    expect(await output.textContent()).toMatch(/\/dev\/pts\/\d+\n/);
    await input.fill('cd /workspace; echo hello-console; cat notes.txt; exit 3');
    await input.press('Enter');
    await output.getByText('[exit 3]').waitFor();
    expect(await output.textContent()).toContain('hello-console\ntwo\n');
    await page.screenshot({ path: join(ARTIFACTS, '2-terminal.png') });

    await page.locator('[data-tab="checkpoints"]').click();
    await page.getByTestId('timeline').locator('li[data-hash]').first().waitFor();
    await page.getByTestId('show-diff').first().click();
    const diff = page.getByTestId('diff');
    await diff.getByText('+two').waitFor();
    expect(await diff.textContent()).toContain('-one');
    await page.screenshot({ path: join(ARTIFACTS, '3-checkpoint-diff.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('should ask for the key again when the one given is refused', async () => {
    const page = await openConsole('sk_not-a-real-key');
    await page.getByTestId('login-error').waitFor();
    expect(await page.getByTestId('login-error').textContent()).toContain('That key was refused');
    expect(await page.evaluate<string | null>("localStorage.getItem('sandbox.apiKey')")).toBeNull();
    await page.screenshot({ path: join(ARTIFACTS, '4-refused-key.png') });
    await page.close();
  });
});
