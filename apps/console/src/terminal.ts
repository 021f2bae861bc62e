import { SandboxError, type Terminal } from '@sandbox/sdk';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as Screen } from '@xterm/xterm';
import { h, replace } from './dom.js';
import type { Panel, PanelContext } from './panels.js';

/**
 * xterm.js's DOM renderer writes its measured cell sizes and its theme into `<style>` elements, which
 * the console's content security policy (`style-src 'self'`, no inline styles) refuses to apply. The
 * same rules are applied as constructed style sheets instead (not inline styles for CSP), kept in step
 * with the elements while the terminal lives. Returns what removes them.
 */
function adoptInlineStyles(host: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, CSSStyleSheet>();
  const sync = () => {
    for (const style of host.querySelectorAll('style')) {
      let sheet = sheets.get(style);
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheets.set(style, sheet);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }
      sheet.replaceSync(style.textContent);
    }
    for (const [style, sheet] of sheets) {
      if (style.isConnected) continue;
      sheets.delete(style);
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((adopted) => adopted !== sheet);
    }
  };
  const observer = new MutationObserver(sync);
  observer.observe(host, { subtree: true, childList: true, characterData: true });
  return () => {
    observer.disconnect();
    const gone = new Set(sheets.values());
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((adopted) => !gone.has(adopted));
  };
}

/**
 * A terminal emulator (xterm.js) on a PTY shell over the terminal WebSocket: keystrokes go to the
 * shell as typed, its output (colours, cursor moves, full-screen programs such as vim or top) is
 * drawn as a terminal would, and the shell is told the size of the panel whenever it changes. One
 * shell for the visit; after it exits, Enter opens a new one. When the platform cannot open a
 * terminal for the session, lines run one by one through exec instead.
 */
export const terminal: Panel = {
  id: 'terminal',
  title: 'Terminal',
  render(body, context) {
    const host = h('div', { class: 'xterm-host', 'data-testid': 'terminal' });
    replace(body, host);
    const screen = new Screen({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: { background: '#11151c', foreground: '#d7dce5' },
    });
    const fit = new FitAddon();
    screen.loadAddon(fit);
    const dropStyles = adoptInlineStyles(host);
    screen.open(host);
    fit.fit();
    const showSize = () => {
      host.dataset.cols = String(screen.cols);
      host.dataset.rows = String(screen.rows);
    };
    showSize();
    let shell: Terminal | null = null;
    let connecting = false;
    let left = false;
    const connect = async (): Promise<void> => {
      connecting = true;
      let opened: Terminal;
      try {
        opened = await context.client.terminal.open(context.session.id, { cols: screen.cols, rows: screen.rows });
      } catch (error) {
        if (!left) {
          // Say why: a silent switch to the line view hides what went wrong.
          context.notify(`No terminal (${error instanceof Error ? error.message : String(error)}); commands run one line at a time`, true);
          leave();
          execFallback(body, context);
        }
        return;
      } finally {
        connecting = false;
      }
      if (left) return opened.close();
      opened.onData((bytes) => screen.write(bytes));
      void opened.exited.then((exit) => {
        shell = null;
        host.dataset.shell = 'exited';
        if (!left) screen.write(`\r\n[exit ${exit?.exitCode ?? exit?.signal ?? 'connection closed'}] Enter opens a new shell\r\n`);
      });
      shell = opened;
      host.dataset.shell = 'open';
      // The panel may have changed size while the terminal was opening.
      opened.resize(screen.cols, screen.rows);
      screen.focus();
    };
    screen.onData((data) => {
      if (shell) shell.write(data);
      else if (data === '\r' && !connecting) void connect();
    });
    // Mouse reports in the legacy encoding: bytes that are not UTF-8 text.
    screen.onBinary((data) => shell?.write(Uint8Array.from(data, (char) => char.charCodeAt(0) & 0xff)));
    screen.onResize(({ cols, rows }) => {
      showSize();
      shell?.resize(cols, rows);
    });
    const panelSize = new ResizeObserver(() => fit.fit());
    panelSize.observe(host);
    function leave(): void {
      left = true;
      panelSize.disconnect();
      shell?.close();
      screen.dispose();
      dropStyles();
    }
    context.onLeave(leave);
    void connect();
  },
};

/** When no terminal can be opened: each line runs with sh -c through exec, in the remembered directory. */
function execFallback(body: HTMLElement, context: PanelContext): void {
  const output = h('pre', { class: 'terminal', 'data-testid': 'terminal-output' });
  const input = h('input', { class: 'command', placeholder: 'command, then Enter', 'data-testid': 'terminal-input', autocomplete: 'off' });
  const print = (text: string, kind = '') => {
    output.appendChild(h('span', { class: kind }, text));
    output.scrollTop = output.scrollHeight;
  };
  replace(body, h('p', { class: 'muted' }, 'No terminal for this session: each line runs on its own through exec (cd is remembered).'), output, input);
  input.focus();
  let cwd = '.';
  let root: string | null = null;
  const run = async (line: string) => {
    print(`${cwd}$ ${line}\n`, 'prompt');
    input.disabled = true;
    try {
      root ??= (await context.client.exec(context.session.id, 'pwd')).stdout.trim();
      const cd = /^cd(?:\s+(.+))?$/.exec(line);
      if (cd && !cd[1]) cwd = '.';
      else {
        const result = await context.client.exec(context.session.id, cd ? `cd ${cd[1]} && pwd` : line, { cwd, timeoutMs: 120_000 });
        if (cd && result.exitCode === 0) {
          const dir = result.stdout.trim();
          cwd = dir === root ? '.' : dir.startsWith(`${root}/`) ? dir.slice(root.length + 1) : dir;
        } else print(result.stdout);
        print(result.stderr, 'stderr');
        if (result.exitCode !== 0) print(`[exit ${result.exitCode ?? 'timeout'}]\n`, 'exit');
      }
    } catch (error) {
      context.notify(error instanceof SandboxError ? `${error.message} (${error.code})` : String(error), true);
    } finally {
      input.disabled = false;
      input.focus();
    }
  };
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !input.value.trim()) return;
    const line = input.value.trim();
    input.value = '';
    void run(line);
  });
}
