import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, requireStackVar } from '@sandbox/testing';
import { gql, TestGateway } from '../support/gateway';
import { activeSession, GatewayWithManager, startGatewayWithManager } from '../support/real-manager';
import { launchChromium } from './chromium';

/** Built by `npm run build` (Vite), as the gateway serves it in production. */
const CONSOLE_DIR = join(REPO_ROOT, 'dist/console');
/** Screenshots of each step, kept after the run as test artifacts. */
const ARTIFACTS = join(REPO_ROOT, '.data/test-artifacts/console');
const BASE_SESSION = 'mutation { createSession(input: { template: "base" }) { id } }';

/** The terminal panel's rows as drawn by xterm.js's DOM renderer, trailing blanks dropped. */
async function screenRows(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(
    `[...document.querySelectorAll('[data-testid="terminal"] .xterm-rows > div')].map((row) => row.textContent.replace(/\\u00a0/g, ' ').trimEnd())`,
  );
}

/** Waits (up to 30 s) for a row of the terminal panel matching `pattern`, and returns it. */
async function screenLine(page: Page, pattern: RegExp): Promise<string> {
  let rows: string[] = [];
  for (let i = 0; i < 300; i++) {
    rows = await screenRows(page);
    const row = rows.find((text) => pattern.test(text));
    if (row !== undefined) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no terminal row matches ${pattern}; the rows:\n${rows.join('\n')}`);
}

describe('Web console at /console (real Chromium)', () => {
  let stack: GatewayWithManager;
  let gateway: TestGateway;
  let chromium: { browser: Browser; close(): Promise<void> };
  let alice: { key: string };
  let bob: { key: string };
  let aliceSession: string;
  let bobSession: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The terminal is a PTY served by the in-sandbox agent.
    stack = await startGatewayWithManager({ CONSOLE_DIR }, { SANDBOX_AGENT_BINARY: requireStackVar('SANDBOX_AGENT_BINARY') });
    gateway = stack.gateway;
    alice = await gateway.newUser();
    bob = await gateway.newUser();
    [aliceSession, bobSession] = await Promise.all([activeSession(stack, alice.key, BASE_SESSION), activeSession(stack, bob.key, BASE_SESSION)]);
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
    await stack?.close();
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
    // The terminal (xterm.js) works without inline styles being allowed.
    expect(page.headers.get('content-security-policy')).toContain("style-src 'self';");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
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
    const terminal = page.getByTestId('terminal');
    await page.locator('[data-testid="terminal"][data-shell="open"]').waitFor();
    // xterm.js's theme reached the rows: its <style> rules, refused by the page's CSP, applied as constructed sheets.
    expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('[data-testid="terminal"] .xterm-rows')).color`)).toBe('rgb(215, 220, 229)');
    await terminal.click();
    const type = async (line: string) => {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    };
    // One shell on a PTY for the whole visit: a tty, and cd and variables kept between lines. Each line
    // waits for the previous one's output: typed ahead, the tty's echo of it would share that output's row.
    await type('tty');
    await screenLine(page, /^\/dev\/pts\/\d+$/);
    await type('cd /tmp && X=kept && echo set');
    await screenLine(page, /^set$/);
    await type('echo "at $(pwd) $X"');
    await screenLine(page, /^at \/tmp kept$/);
    // Keystrokes reach the shell as typed and its output is drawn on the terminal's rows; the PTY has the panel's size.
    await type('echo $((6*7)); stty size');
    expect(await screenLine(page, /^42$/)).toBe('42');
    const wide = Number(await terminal.getAttribute('data-cols'));
    await screenLine(page, new RegExp(`^\\d+ ${wide}$`));
    // A narrower window: the terminal fits the panel again and tells the shell (the resize frame).
    await page.setViewportSize({ width: 900, height: 700 });
    await page.locator(`[data-testid="terminal"]:not([data-cols="${wide}"])`).waitFor();
    const narrow = Number(await terminal.getAttribute('data-cols'));
    await type('stty size');
    await screenLine(page, new RegExp(`^\\d+ ${narrow}$`));
    expect(narrow).toBeLessThan(wide);
    await type('cd /workspace; echo hello-console; cat notes.txt; exit 3');
    await screenLine(page, /^\[exit 3\]/);
    const rows = await screenRows(page);
    expect(rows.join('\n')).toContain('hello-console\ntwo\n');
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
