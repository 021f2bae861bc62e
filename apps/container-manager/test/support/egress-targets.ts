import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';

/** What every listener answers, so "reached" means our listener and nothing else. */
export const TARGET_REPLY = 'egress-target';
/** The cloud metadata endpoint's port; the namespace is ours alone, so nothing else listens there. */
export const TARGET_PORT = 80;
const CONNECT_TIMEOUT_MS = 1500;
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export type ProbeOutcome = 'reached' | 'blocked';

/**
 * TCP listeners on arbitrary addresses (private ones included) that are *forwarded* destinations
 * for the host, not local ones: they live in a throwaway network namespace behind a veth pair, so a
 * sandbox's packets to them cross the FORWARD chain (and DOCKER-USER) exactly like packets to a LAN
 * host or a cloud metadata endpoint would.
 *
 * The main routing table is left alone: the host side of the veth has no prefix route, and the
 * targets are routed through a table of their own that only two sources use (`ip rule from`): the
 * host side of the veth (for the host-side control) and the sandboxes passed to `routeFrom`. Nothing
 * else on the machine (including its own access to 169.254.169.254) changes, and no packet leaves it.
 * Needs root, iproute2 and `ip netns`, like the firewall rules of scripts/infra/up.sh.
 */
export class EgressTargets {
  private readonly suffix = randomBytes(3).toString('hex');
  private readonly namespace = `sbxeg-${this.suffix}`;
  private readonly hostIf = `sbxeg${this.suffix}h`;
  private readonly nsIf = `sbxeg${this.suffix}n`;
  private readonly linkOctet = randomInt(0, 256);
  /** Host side of the veth: the source the namespace sees (MASQUERADE rewrites sandbox traffic to it). */
  readonly hostAddress = `10.253.${this.linkOctet}.1`;
  private readonly nsLinkAddress = `10.253.${this.linkOctet}.2`;
  private table = 0;
  private readonly rules: string[] = [];
  private namespaceCreated = false;
  private hostIfCreated = false;
  private listener?: ChildProcess;
  private forwardingBefore?: string;

  constructor(readonly addresses: readonly string[]) {}

  async up(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('EgressTargets needs root (network namespaces, routes, rules), like scripts/infra/up.sh');
    this.table = this.freeTable();
    this.forwardingBefore = readFileSync(IP_FORWARD, 'utf8').trim();
    if (this.forwardingBefore !== '1') writeFileSync(IP_FORWARD, '1');

    ip('netns', 'add', this.namespace);
    this.namespaceCreated = true;
    ip('link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf);
    this.hostIfCreated = true;
    ip('link', 'set', this.nsIf, 'netns', this.namespace);
    ip('addr', 'add', `${this.hostAddress}/30`, 'dev', this.hostIf, 'noprefixroute');
    ip('link', 'set', this.hostIf, 'up');
    ip('-n', this.namespace, 'addr', 'add', `${this.nsLinkAddress}/30`, 'dev', this.nsIf);
    for (const address of this.addresses) {
      ip('-n', this.namespace, 'addr', 'add', `${address}/32`, 'dev', this.nsIf);
      ip('route', 'add', `${address}/32`, 'dev', this.hostIf, 'src', this.hostAddress, 'table', String(this.table));
    }
    ip('-n', this.namespace, 'link', 'set', this.nsIf, 'up');
    this.routeFrom(this.hostAddress);
    await this.startListener();
  }

  /** Routes traffic from `sourceAddress` (a sandbox's IP) to the targets. */
  routeFrom(sourceAddress: string): void {
    const rule = ['from', sourceAddress, 'lookup', String(this.table), 'pref', String(this.table)];
    ip('rule', 'add', ...rule);
    this.rules.push(rule.join(' '));
  }

  /** Connects from the host (bound to the veth address, so through the targets' table). */
  probeFromHost(address: string): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const socket = connect({ host: address, port: TARGET_PORT, localAddress: this.hostAddress });
      const done = (outcome: ProbeOutcome) => {
        socket.destroy();
        resolve(outcome);
      };
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => done('blocked'));
      socket.on('data', (data) => done(String(data).trim() === TARGET_REPLY ? 'reached' : 'blocked'));
      socket.on('error', () => done('blocked'));
    });
  }

  /** Removes everything `up` made, whatever state it got to; never throws. */
  async destroy(): Promise<void> {
    for (const rule of this.rules.splice(0)) attempt(() => ip('rule', 'del', ...rule.split(' ')));
    if (this.listener && this.listener.exitCode === null && this.listener.signalCode === null) {
      const listener = this.listener;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        listener.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        listener.kill('SIGKILL');
      });
    }
    // Deleting either end of a veth deletes both, and the device takes its routes with it.
    if (this.hostIfCreated) attempt(() => ip('link', 'del', this.hostIf));
    if (this.namespaceCreated) attempt(() => ip('netns', 'del', this.namespace));
    if (this.table) attempt(() => ip('route', 'flush', 'table', String(this.table)));
    if (this.forwardingBefore !== undefined && this.forwardingBefore !== '1') attempt(() => writeFileSync(IP_FORWARD, this.forwardingBefore!));
  }

  /** One tiny server on every address of the namespace; resolves once it listens. */
  private async startListener(): Promise<void> {
    const source = `require('net').createServer((s) => s.end('${TARGET_REPLY}\\n')).listen(${TARGET_PORT}, '0.0.0.0', () => console.log('listening'))`;
    const child = spawn('ip', ['netns', 'exec', this.namespace, process.execPath, '-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.listener = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('egress target listener did not start within 5 s')), 5000);
      child.stdout.on('data', (data: Buffer) => {
        if (!data.toString().includes('listening')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`egress target listener exited (${code})`));
      });
    });
  }

  /** A routing table number (also used as the rules' priority) nothing else uses. */
  private freeTable(): number {
    const rules = execFileSync('ip', ['rule', 'show'], { encoding: 'utf8' });
    for (let tries = 0; tries < 20; tries++) {
      const table = randomInt(20_000, 30_000);
      if (rules.includes(`lookup ${table}`) || rules.startsWith(`${table}:`) || rules.includes(`\n${table}:`)) continue;
      if (!routesIn(table)) return table;
    }
    throw new Error('no free routing table number found');
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
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
