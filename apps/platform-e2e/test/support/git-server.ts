import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/**
 * Git's smart HTTP protocol (`git http-backend`) on a forwarded address sandboxes can reach, the
 * technique of the container-manager's egress test (test/support/egress-targets.ts): the server lives
 * in a throwaway network namespace behind a veth pair, on a TEST-NET-3 address (public-like, so the
 * sandbox egress firewall lets it through), routed from the sandbox subnet by a table of its own (a
 * rule that only the address in that table uses). Repositories under `private/` need HTTP basic
 * auth with `token` as the password; every request's Authorization header is recorded, so a test can
 * tell the token was used. Needs root, iproute2 and `ip netns`, like scripts/infra/up.sh.
 */
export class GitHttpServer {
  private readonly suffix = randomBytes(3).toString('hex');
  private readonly namespace = `sbxgit-${this.suffix}`;
  private readonly hostIf = `sbxgit${this.suffix}h`;
  private readonly nsIf = `sbxgit${this.suffix}n`;
  private readonly linkOctet = randomInt(0, 256);
  private readonly hostAddress = `10.252.${this.linkOctet}.1`;
  private readonly nsLinkAddress = `10.252.${this.linkOctet}.2`;
  /** Where the server listens (port 80). */
  readonly address = `203.0.113.${randomInt(100, 250)}`;
  readonly root = mkdtempSync(join(tmpdir(), 'git-http-'));
  private readonly authLog = join(this.root, 'auth.log');
  private table = 0;
  private readonly rules: string[] = [];
  private namespaceCreated = false;
  private hostIfCreated = false;
  private server?: ChildProcess;
  private forwardingBefore?: string;

  constructor(private readonly token: string) {}

  url(path: string): string {
    return `http://${this.address}/${path}`;
  }

  async up(sandboxSubnet: string): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('GitHttpServer needs root (network namespaces, routes, rules)');
    // Also the rules' priority: it must come before the main table's (32766), whose default route wins otherwise.
    this.table = randomInt(10_000, 20_000);
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
    ip('-n', this.namespace, 'addr', 'add', `${this.address}/32`, 'dev', this.nsIf);
    ip('-n', this.namespace, 'link', 'set', this.nsIf, 'up');
    ip('-n', this.namespace, 'link', 'set', 'lo', 'up');
    // Answers go back to the host side of the veth (sandbox traffic arrives masqueraded to it).
    ip('-n', this.namespace, 'route', 'add', 'default', 'via', this.hostAddress);
    ip('route', 'add', `${this.address}/32`, 'dev', this.hostIf, 'src', this.hostAddress, 'table', String(this.table));
    for (const source of [this.hostAddress, sandboxSubnet]) {
      const rule = ['from', source, 'to', `${this.address}/32`, 'lookup', String(this.table), 'pref', String(this.table)];
      ip('rule', 'add', ...rule);
      this.rules.push(rule.join(' '));
    }
    await this.startServer();
  }

  /** A bare repository `name` (e.g. `public/demo.git`) holding `files` in one commit on `main`. */
  createRepository(name: string, files: Record<string, string>): void {
    const work = mkdtempSync(join(tmpdir(), 'git-work-'));
    try {
      for (const [path, content] of Object.entries(files)) writeFileSync(join(work, path), content);
      const git = (...args: string[]) => execFileSync('git', args, { cwd: work, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('commit', '-q', '-m', 'initial');
      execFileSync('git', ['clone', '-q', '--bare', work, join(this.root, name)], { stdio: 'pipe' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** The Authorization headers the server received (one line per request that carried one). */
  authorizations(): string[] {
    try {
      return readFileSync(this.authLog, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  async destroy(): Promise<void> {
    for (const rule of this.rules.splice(0)) attempt(() => ip('rule', 'del', ...rule.split(' ')));
    if (this.server && this.server.exitCode === null && this.server.signalCode === null) {
      const server = this.server;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        server.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        server.kill('SIGKILL');
      });
    }
    if (this.hostIfCreated) attempt(() => ip('link', 'del', this.hostIf));
    if (this.namespaceCreated) attempt(() => ip('netns', 'del', this.namespace));
    if (this.table) attempt(() => ip('route', 'flush', 'table', String(this.table)));
    if (this.forwardingBefore !== undefined && this.forwardingBefore !== '1') attempt(() => writeFileSync(IP_FORWARD, this.forwardingBefore!));
    rmSync(this.root, { recursive: true, force: true });
  }

  private async startServer(): Promise<void> {
    const source = `
const http = require('http'); const { spawn } = require('child_process'); const fs = require('fs');
const [root, token, authLog] = process.argv.slice(1);
const expected = 'Basic ' + Buffer.from('x-access-token:' + token).toString('base64');
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://git');
  if (req.headers.authorization) fs.appendFileSync(authLog, req.headers.authorization + '\\n');
  if (url.pathname.startsWith('/private/') && req.headers.authorization !== expected) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }); return res.end('auth required');
  }
  const cgi = spawn('git', ['http-backend'], { env: { PATH: process.env.PATH, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: url.pathname, QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] || '', REMOTE_USER: 'x', REMOTE_ADDR: req.socket.remoteAddress } });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0); let sent = false;
  cgi.stdout.on('data', (chunk) => {
    if (sent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    let status = 200; const headers = {};
    for (const line of head.slice(0, end).toString().split('\\r\\n')) {
      const i = line.indexOf(':'); const k = line.slice(0, i).trim(); const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = parseInt(v, 10); else headers[k] = v;
    }
    res.writeHead(status, headers); sent = true; res.write(head.slice(end + 4));
  });
  cgi.stdout.on('end', () => res.end());
}).listen(80, '0.0.0.0', () => console.log('listening'));`;
    // Its stderr is piped, not inherited: a server left running must not hold the test runner's output open.
    const child = spawn('ip', ['netns', 'exec', this.namespace, process.execPath, '-e', source, this.root, this.token, this.authLog], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (data: Buffer) => process.stderr.write(data));
    // Whatever happens to the test (a timed-out afterAll included), the server dies with this process.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    this.server = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('git http server did not start within 5 s')), 5000);
      child.stdout.on('data', (data: Buffer) => {
        if (!data.toString().includes('listening')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`git http server exited (${code})`));
      });
    });
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
}

function attempt(step: () => void): void {
  try {
    step();
  } catch {
    // best effort
  }
}
