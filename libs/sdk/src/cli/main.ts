#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import WebSocket from 'ws';
import { SandboxClient } from '../client.js';
import { SandboxError } from '../errors.js';
import { registerCommands } from './commands.js';
import { EXIT, Output, UsageError } from './output.js';

/**
 * `sandbox`: the platform from a shell (docs/developer-surface.md, CLI). SANDBOX_API_URL and
 * SANDBOX_API_KEY configure it; `--json` prints machine-readable output; exit codes are documented
 * and `exec` exits with the command's own code.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command('sandbox')
    .description('Drive sandbox sessions: create them, run commands, copy files, open previews, follow runs.')
    .addOption(new Option('--api-url <url>', 'gateway URL').env('SANDBOX_API_URL').default('http://localhost:4000'))
    .addOption(new Option('--api-key <key>', 'API key (sk_...)').env('SANDBOX_API_KEY'))
    .option('--json', 'print JSON for scripts instead of text', false)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  let client: SandboxClient | undefined;
  const context = {
    output: () => new Output(program.opts<{ json: boolean }>().json),
    client: (): SandboxClient => {
      if (client) return client;
      const { apiUrl, apiKey } = program.opts<{ apiUrl: string; apiKey?: string }>();
      if (!apiKey) throw new UsageError('No API key: set SANDBOX_API_KEY or pass --api-key');
      client = new SandboxClient({ apiUrl, apiKey, webSocketImpl: WebSocket });
      return client;
    },
  };
  let exitCode: number = EXIT.ok;
  registerCommands(program, context, (code) => (exitCode = code));

  try {
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (error) {
    return reportError(error, context.output());
  } finally {
    await client?.close();
  }
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander already printed its message.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    output.error(error.message, 'USAGE');
    return EXIT.usage;
  }
  if (error instanceof SandboxError) {
    output.error(error.message, error.code);
    return EXIT.error;
  }
  output.error(error instanceof Error ? error.message : String(error), 'ERROR');
  return EXIT.error;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.error;
  },
);
