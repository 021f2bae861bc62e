import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const SERVER_START_TIMEOUT_MS = 5000;

/**
 * A host of its own on this machine, answering on `addresses` (any, private ones included), that
 * sandboxes reach the way they would reach a LAN host, a cloud metadata endpoint or a public server:
 * a throwaway network namespace behind a veth pair, with one server (a Node program) inside. Its
 * addresses are *forwarded* destinations for the host, not local ones, so a sandbox's packets to them
 * cross the FORWARD chain (and DOCKER-USER) like packets leaving the machine would.
 *
 * The main routing table is left alone: the host side of the veth has no prefix route, and the
 * addresses are routed through a table of their own that only the rules `routeFrom` adds use (from one
 * source to one of the addresses; the host side of the veth is always one source). Nothing else on the
 * machine (including its own access to 169.254.169.254) changes, and no packet leaves it. Sandbox
 * traffic arrives masqueraded to the host side of the veth, where the answers go back.
 * Needs root, iproute2 and `ip netns`, like the firewall rules of scripts/infra/up.sh.
 */
export class ForwardedHost {
  private readonly namespace: string;
  private readonly hostIf: string;
  private readonly nsIf: string;
  /** The first three octets of the veth pair's /30: `.1` on the host side, `.2` in the namespace. */
  private link = '';
  private table = 0;
  private readonly rules: string[][] = [];
  private namespaceCreated = false;
  private hostIfCreated = false;
  private server?: ChildProcess;
  private forwardingBefore?: string;

  /** `tag` (at most 8 characters) names the namespace and the veth pair, so a leftover says whose it is. */
  constructor(
    tag: string,
    readonly addresses: readonly string[],
  ) {
    const suffix = randomBytes(3).toString('hex');
    this.namespace = `${tag}-${suffix}`;
    this.hostIf = `${tag}${suffix}h`;
    this.nsIf = `${tag}${suffix}n`;
  }

  /** Host side of the veth: the source the namespace sees (MASQUERADE rewrites sandbox traffic to it). */
  get hostAddress(): string {
    if (!this.link) throw new Error('ForwardedHost is not up');
    return `${this.link}.1`;
  }

  async up(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('ForwardedHost needs root (network namespaces, routes, rules), like scripts/infra/up.sh');
    this.link = freeLink();
    this.table = freeTable();
    this.forwardingBefore = readFileSync(IP_FORWARD, 'utf8').trim();
    if (this.forwardingBefore !== '1') writeFileSync(IP_FORWARD, '1');

    ip('netns', 'add', this.namespace);
    this.namespaceCreated = true;
    ip('link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf);
    this.hostIfCreated = true;
    ip('link', 'set', this.nsIf, 'netns', this.namespace);
    ip('addr', 'add', `${this.hostAddress}/30`, 'dev', this.hostIf, 'noprefixroute');
    ip('link', 'set', this.hostIf, 'up');
    ip('-n', this.namespace, 'addr', 'add', `${this.link}.2/30`, 'dev', this.nsIf);
    for (const address of this.addresses) {
      ip('-n', this.namespace, 'addr', 'add', `${address}/32`, 'dev', this.nsIf);
      ip('route', 'add', `${address}/32`, 'dev', this.hostIf, 'src', this.hostAddress, 'table', String(this.table));
    }
    ip('-n', this.namespace, 'link', 'set', this.nsIf, 'up');
    ip('-n', this.namespace, 'link', 'set', 'lo', 'up');
    ip('-n', this.namespace, 'route', 'add', 'default', 'via', this.hostAddress);
    this.routeFrom(this.hostAddress);
  }

  /** Routes traffic from `source` (a sandbox's IP, or a whole subnet) to the addresses. */
  routeFrom(source: string): void {
    for (const address of this.addresses) {
      // The table number is also the rules' priority: it comes before the main table's (32766), whose default route wins otherwise.
      const rule = ['from', source, 'to', `${address}/32`, 'lookup', String(this.table), 'pref', String(this.table)];
      ip('rule', 'add', ...rule);
      this.rules.push(rule);
    }
  }

  /**
   * Runs `program` (Node source, with `args` in `process.argv.slice(1)`) inside the namespace; resolves
   * once it prints `listening`. `name` says what failed to start. It dies with `destroy` or with this process.
   */
  async serve(name: string, program: string, args: readonly string[] = []): Promise<void> {
    // Its stderr is piped, not inherited: a server left running must not hold the test runner's output open.
    const child = spawn('ip', ['netns', 'exec', this.namespace, process.execPath, '-e', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (data: Buffer) => process.stderr.write(data));
    // Whatever happens to the test (a timed-out afterAll included), the server dies with this process.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    this.server = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${SERVER_START_TIMEOUT_MS / 1000} s`)), SERVER_START_TIMEOUT_MS);
      child.stdout.on('data', (data: Buffer) => {
        if (!data.toString().includes('listening')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code})`));
      });
    });
  }

  /** Removes everything `up` and `serve` made, whatever state they got to; never throws. */
  async destroy(): Promise<void> {
    for (const rule of this.rules.splice(0)) attempt(() => ip('rule', 'del', ...rule));
    const server = this.server;
    if (server && server.exitCode === null && server.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        server.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        server.kill('SIGKILL');
      });
    }
    // Deleting either end of a veth deletes both, and the device takes its routes with it.
    if (this.hostIfCreated) attempt(() => ip('link', 'del', this.hostIf));
    if (this.namespaceCreated) attempt(() => ip('netns', 'del', this.namespace));
    if (this.table) attempt(() => ip('route', 'flush', 'table', String(this.table)));
    const forwardingBefore = this.forwardingBefore;
    if (forwardingBefore !== undefined && forwardingBefore !== '1') attempt(() => writeFileSync(IP_FORWARD, forwardingBefore));
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
}

/** A /30 in 10.252.0.0/15 that no interface of this machine uses (two hosts at once must not share one). */
function freeLink(): string {
  const inUse = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  for (let tries = 0; tries < 20; tries++) {
    const link = `10.${randomInt(252, 254)}.${randomInt(0, 256)}`;
    if (!inUse.includes(` ${link}.1/`) && !inUse.includes(` ${link}.2/`)) return link;
  }
  throw new Error('no free link address found in 10.252.0.0/15');
}

/** A routing table number (also used as the rules' priority) nothing else uses. */
function freeTable(): number {
  const rules = execFileSync('ip', ['rule', 'show'], { encoding: 'utf8' });
  for (let tries = 0; tries < 20; tries++) {
    const table = randomInt(10_000, 30_000);
    if (rules.includes(`lookup ${table}`) || rules.startsWith(`${table}:`) || rules.includes(`\n${table}:`)) continue;
    if (!routesIn(table)) return table;
  }
  throw new Error('no free routing table number found');
}

/** Whether routing table `table` holds any route (`ip` fails for a table that does not exist). */
function routesIn(table: number): boolean {
  try {
    return execFileSync('ip', ['route', 'show', 'table', String(table)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
  } catch {
    return false;
  }
}

function attempt(step: () => void): void {
  try {
    step();
  } catch {
    // Best effort: cleanup carries on with the next step.
  }
}
