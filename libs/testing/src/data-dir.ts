import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, rmSync } from 'node:fs';

/** Mount points at or below `dir` (session volumes a test's manager left mounted), deepest first. */
export function mountsUnder(dir: string): string[] {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    return [];
  }
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts whatever a test's container-manager left mounted under its data directory, then deletes it. */
export function removeDataDir(dataDir: string): void {
  for (const point of mountsUnder(dataDir)) execFileSync('umount', ['-l', point]);
  rmSync(dataDir, { recursive: true, force: true });
}
