import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForwardedHost } from '@sandbox/testing';

/** The server: `git http-backend` behind basic auth for `private/`, recording Authorization headers. */
const SERVER = `const http = require('http'); const { spawn } = require('child_process'); const fs = require('fs');
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

/**
 * Git's smart HTTP protocol (`git http-backend`) on a forwarded address sandboxes can reach, like the
 * container-manager's egress targets: the server lives in a `ForwardedHost` (libs/testing) on a
 * TEST-NET-3 address (public-like, so the sandbox egress firewall lets it through), routed from the
 * sandbox subnet. Repositories under `private/` need HTTP basic auth with `token` as the password;
 * every request's Authorization header is recorded, so a test can tell the token was used.
 * Needs root, iproute2 and `ip netns`, like scripts/infra/up.sh.
 */
export class GitHttpServer {
  /** Where the server listens (port 80). */
  readonly address = `203.0.113.${randomInt(100, 250)}`;
  readonly root = mkdtempSync(join(tmpdir(), 'git-http-'));
  private readonly authLog = join(this.root, 'auth.log');
  private readonly host = new ForwardedHost('sbxgit', [this.address]);

  constructor(private readonly token: string) {}

  url(path: string): string {
    return `http://${this.address}/${path}`;
  }

  async up(sandboxSubnet: string): Promise<void> {
    await this.host.up();
    this.host.routeFrom(sandboxSubnet);
    await this.host.serve('git http server', SERVER, [this.root, this.token, this.authLog]);
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
    await this.host.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}
