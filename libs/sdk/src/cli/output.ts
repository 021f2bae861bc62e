/** Exit codes scripts can rely on (docs/developer-surface.md, CLI); `exec` exits with the command's own code. */
export const EXIT = {
  ok: 0,
  /** The platform refused or failed (the message and code are on stderr). */
  error: 1,
  /** Bad arguments or configuration (no API key, bad `<id>:path`). */
  usage: 2,
  /** A command killed by its timeout, as timeout(1) reports it. */
  timedOut: 124,
} as const;

/** Bad arguments found by a command itself (commander reports its own parse errors). */
export class UsageError extends Error {}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** What a command prints: text for people, or one JSON document on stdout with `--json`; errors and progress on stderr. */
export class Output {
  constructor(readonly json: boolean) {}

  /** `value` as JSON with `--json`, else `text` (computed only when needed). */
  result(value: unknown, text: () => string): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const line = text();
      if (line) process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
    }
  }

  /** A line for people (nothing with `--json`). */
  info(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  error(message: string, code: string): void {
    if (this.json) process.stderr.write(`${JSON.stringify({ error: { message, code } })}\n`);
    else process.stderr.write(`sandbox: ${message}${code && code !== 'ERROR' ? ` (${code})` : ''}\n`);
  }

  /**
   * Shows that `work` is under way: a spinner with the elapsed time on a terminal, one line otherwise,
   * nothing with `--json`.
   */
  async progress<T>(label: string, work: Promise<T>): Promise<T> {
    if (this.json) return work;
    if (!process.stderr.isTTY) {
      process.stderr.write(`${label}...\n`);
      return work;
    }
    const started = Date.now();
    let frame = 0;
    const draw = () => process.stderr.write(`\r${SPINNER[frame++ % SPINNER.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)}s`);
    draw();
    const timer = setInterval(draw, 100);
    try {
      return await work;
    } finally {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    }
  }
}

/** Rows as aligned columns. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n');
}
