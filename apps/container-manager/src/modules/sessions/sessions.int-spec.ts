import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { SandboxSession, SandboxStatus } from '@sandbox/contracts';
import { requireStackVar } from '@sandbox/testing';
import { containersOfSession, docker, ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { volumeDir, workspaceDir } from '../../common/paths';
import { SessionsController } from './sessions.controller';

describe(SessionsController.name, () => {
  let m: ManagerHarness;
  let sessionId: string;

  beforeAll(async () => {
    m = await startManager({ SANDBOX_MAX_CPU: '1.5', SANDBOX_MAX_MEMORY_MB: '512', SANDBOX_PIDS_LIMIT: '128' });
    sessionId = randomUUID();
    await m.client.createSession({ sessionId, memoryMb: 320, cpu: 0.5, env: { GREETING: 'hello' } });
  });
  afterAll(async () => m?.destroy());

  describe('hardening', () => {
    it('should run the container with every protection, as seen by docker inspect', async () => {
      const info = await docker.getContainer(`sandbox-session-${sessionId}`).inspect();
      expect(info.Config.User).toBe('1000:1000');
      expect(info.Config.Labels).toMatchObject({ 'sandbox.session-id': sessionId, 'sandbox.managed': 'true', 'sandbox.test': 'true' });
      expect(info.HostConfig.CapDrop).toEqual(['ALL']);
      expect(info.HostConfig.CapAdd ?? []).toEqual([]);
      expect(info.HostConfig.Privileged).toBe(false);
      expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
      expect(info.HostConfig.PidsLimit).toBe(128);
      expect(info.HostConfig.Memory).toBe(320 * 1024 * 1024);
      expect(info.HostConfig.MemorySwap).toBe(320 * 1024 * 1024);
      expect(info.HostConfig.NanoCpus).toBe(0.5e9);
      expect(info.HostConfig.ReadonlyRootfs).toBe(true);
      // PID 1 is the sandbox agent (docs/sandbox-agent.md): it reaps orphans itself (no docker-init), and it
      // shrugs off SIGTERM (the sandbox could send it), so the container stops with SIGKILL.
      expect(info.HostConfig.Init).toBe(false);
      expect(info.Config.Entrypoint).toEqual(['/opt/sbx/agent']);
      expect((info.Config as { StopSignal?: string }).StopSignal).toBe('SIGKILL');
      expect(info.HostConfig.NetworkMode).toBe('sandbox-net');
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual(['sandbox-net']);
      expect(info.NetworkSettings.Networks['sandbox-net'].IPAddress).toMatch(/^172\.30\./);
      expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } });
      const mounts = info.Mounts.map((mount) => `${mount.Source}:${mount.Destination}:${mount.RW ? 'rw' : 'ro'}`);
      expect(mounts.sort()).toEqual(
        [`${workspaceDir(m.dataDir, sessionId)}:/workspace:rw`, `${requireStackVar('SANDBOX_AGENT_BINARY')}:/opt/sbx/agent:ro`, `${join(m.dataDir, 'agent', sessionId)}:/run/sbx:ro`].sort(),
      );
      expect(JSON.stringify(info.Mounts)).not.toContain('docker.sock');
    });

    it('should leave the sandbox without privileges, docker socket or writable root', async () => {
      const result = await m.client.exec(sessionId, {
        command: 'id -u; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; ls /var/run/docker.sock 2>&1; touch /etc/x 2>&1; echo $GREETING',
      });
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toBe('1000');
      expect(lines[1]).toMatch(/CapEff:\s+0000000000000000/);
      expect(lines[2]).toMatch(/NoNewPrivs:\s+1/);
      expect(lines[3]).toMatch(/No such file or directory/);
      expect(lines[4]).toMatch(/Read-only file system/);
      expect(lines[5]).toBe('hello');
    });

    it('should not reach the manager on the host nor another sandbox', async () => {
      const other = randomUUID();
      await m.client.createSession({ sessionId: other });
      const otherIp = (await docker.getContainer(`sandbox-session-${other}`).inspect()).NetworkSettings.Networks['sandbox-net'].IPAddress;
      await m.client.exec(other, { command: 'node -e "require(\'http\').createServer((q,s)=>s.end(\'reached\')).listen(8080)" >/dev/null 2>&1 &' });
      // The manager itself can reach the other sandbox (that is how previews work)...
      let reachedFromHost = '';
      for (let i = 0; i < 50 && !reachedFromHost; i++) {
        reachedFromHost = await request(`http://${otherIp}:8080/`).then((r) => r.body.text(), () => '');
        if (!reachedFromHost) await new Promise((r) => setTimeout(r, 100));
      }
      expect(reachedFromHost).toBe('reached');
      const probe = (host: string, port: number) =>
        `node -e "const s=require('net').connect(${port},'${host}');s.setTimeout(1500);s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('blocked');process.exit(0)});s.on('error',e=>{console.log('blocked '+e.code);process.exit(0)})"`;
      // ...but a sandbox reaches neither its neighbour nor the manager's port on the host gateway.
      const neighbour = await m.client.exec(sessionId, { command: probe(otherIp, 8080) });
      expect(neighbour.stdout).toMatch(/^blocked/);
      const host = await m.client.exec(sessionId, { command: probe('172.30.0.1', m.app.port) });
      expect(host.stdout).toMatch(/^blocked/);
      await m.client.deleteSession(other);
    });

    it('should enforce the pid limit', async () => {
      const result = await m.client.exec(sessionId, { command: 'for i in $(seq 1 300); do sleep 5 & done 2>&1 | tail -1; echo done', timeoutMs: 20_000 });
      expect(result.stdout + result.stderr).toMatch(/can't fork|Resource temporarily unavailable|fork/i);
      await m.client.exec(sessionId, { command: 'kill $(pidof sleep) 2>/dev/null; true' });
    });
  });

  describe('lifecycle', () => {
    it('should be idempotent on sessionId (201 then 200, one container)', async () => {
      const id = randomUUID();
      const [a, b] = await Promise.all([m.call('POST', '/api/internal/sessions', { sessionId: id }), m.call('POST', '/api/internal/sessions', { sessionId: id })]);
      expect([a.status, b.status].sort()).toEqual([200, 201]);
      expect((a.json as SandboxSession).containerId).toBe((b.json as SandboxSession).containerId);
      expect(await containersOfSession(id)).toHaveLength(1);
      const again = await m.call('POST', '/api/internal/sessions', { sessionId: id });
      expect(again.status).toBe(200);
      await m.client.deleteSession(id);
    });

    it('should list and get sessions, and keep the workspace across stop and start', async () => {
      const id = randomUUID();
      const created = await m.client.createSession({ sessionId: id });
      expect(created.status).toBe(SandboxStatus.Running);
      expect((await m.client.listSessions()).sessions.map((s) => s.sessionId)).toContain(id);
      await m.client.exec(id, { command: 'echo kept > note.txt' });
      const stopped = await m.client.stopSession(id);
      expect(stopped.status).toBe(SandboxStatus.Stopped);
      expect((await docker.getContainer(created.containerId!).inspect()).State.Running).toBe(false);
      const exec = await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'true' });
      expect(exec.status).toBe(409);
      expect((exec.json as { message: string }).message).toBe(`Session ${id} is not running (status: stopped)`);
      const files = await m.call('GET', `/api/internal/sessions/${id}/files/content?path=note.txt`);
      expect(files.status).toBe(409);
      const started = await m.client.startSession(id);
      expect(started.status).toBe(SandboxStatus.Running);
      expect(started.containerId).toBe(created.containerId);
      expect((await m.client.exec(id, { command: 'cat note.txt' })).stdout).toBe('kept\n');
      expect((await m.client.getSession(id)).lastActivityAt).not.toBeNull();
      await m.client.deleteSession(id);
    });

    it('should delete the container and the workspace without following links planted in it', async () => {
      const id = randomUUID();
      await m.client.createSession({ sessionId: id });
      const outside = join(m.dataDir, `outside-${randomUUID()}`);
      mkdirSync(outside);
      writeFileSync(join(outside, 'precious.txt'), 'keep me');
      symlinkSync(outside, join(workspaceDir(m.dataDir, id), 'link-to-host'));
      await m.client.exec(id, { command: 'ln -s / rootlink; mkdir -p deep/er && echo x > deep/er/f' });
      const res = await m.call('DELETE', `/api/internal/sessions/${id}`);
      expect(res.status).toBe(204);
      expect(await containersOfSession(id)).toHaveLength(0);
      expect(existsSync(volumeDir(m.dataDir, id))).toBe(false);
      expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me');
      expect((await m.call('GET', `/api/internal/sessions/${id}`)).status).toBe(404);
      expect((await m.call('DELETE', `/api/internal/sessions/${id}`)).status).toBe(404);
      expect((await m.call('POST', '/api/internal/sessions', { sessionId: id })).status).toBe(409);
    });

    it('should answer 404 for unknown sessions on every route', async () => {
      const id = randomUUID();
      const routes: [string, string][] = [
        ['GET', `/api/internal/sessions/${id}`],
        ['POST', `/api/internal/sessions/${id}/stop`],
        ['POST', `/api/internal/sessions/${id}/start`],
        ['DELETE', `/api/internal/sessions/${id}`],
      ];
      for (const [method, path] of routes) {
        const res = await m.call(method as 'GET', path);
        expect([path, res.status, res.json]).toEqual([path, 404, { statusCode: 404, message: `Session ${id} not found` }]);
      }
      const exec = await m.call('POST', `/api/internal/sessions/${id}/exec`, { command: 'true' });
      expect(exec.status).toBe(404);
    });

    it('should start a session from the template whose image is given (the image form of the create)', async () => {
      const id = randomUUID();
      const res = await m.call('POST', '/api/internal/sessions', { sessionId: id, image: 'sandbox-base:local' });
      expect(res).toMatchObject({ status: 201, json: { sessionId: id, template: 'base', image: 'sandbox-base:local', status: 'running' } });
      await m.client.deleteSession(id);
    });

    it('should refuse limits above the configured maxima, unknown templates and bad bodies', async () => {
      const tooMuchCpu = await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), cpu: 4 });
      expect(tooMuchCpu).toMatchObject({ status: 400, json: { message: 'cpu must be at most 1.5' } });
      const tooMuchMemory = await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), memoryMb: 4096 });
      expect(tooMuchMemory).toMatchObject({ status: 400, json: { message: 'memoryMb must be at most 512' } });
      const template = await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), template: 'no-such-template' });
      expect(template).toMatchObject({ status: 400, json: { message: 'Unknown template no-such-template' } });
      // Sessions start from templates only: an image names a template (kept from before templates), never an arbitrary local image.
      expect(await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), image: 'debian:bookworm' })).toMatchObject({ status: 400, json: { message: 'No template uses image debian:bookworm' } });
      expect(await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), image: 'sandbox-base:local', template: 'dev' })).toMatchObject({ status: 400, json: { message: 'Give either template or image, not both' } });
      expect((await m.call('POST', '/api/internal/sessions', { sessionId: '../../etc' })).status).toBe(400);
      expect((await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), env: { 'BAD-NAME': 'x' } })).status).toBe(400);
      expect((await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), privileged: true })).status).toBe(400);
    });

    it('should answer 400 to a session id that is not a UUID on every session route', async () => {
      const routes = [
        ['GET', ''], ['POST', '/stop'], ['POST', '/start'], ['POST', '/pause'], ['POST', '/resume'], ['GET', '/usage'], ['DELETE', ''],
        ['POST', '/exec'], ['POST', '/exec/stream'],
        ['GET', '/files'], ['DELETE', '/files?path=a'], ['GET', '/files/content?path=a'], ['PUT', '/files/content?path=a'], ['GET', '/files/watch'], ['GET', '/files/stat?path=a'], ['POST', '/files/mkdir'], ['POST', '/files/move'],
        ['POST', '/commands'], ['GET', '/commands'], ['GET', '/commands/c1'], ['GET', '/commands/c1/output'], ['POST', '/commands/c1/input'], ['POST', '/commands/c1/signal'],
        ['POST', '/git/commit'], ['GET', '/git/checkpoints'], ['GET', '/git/status'], ['GET', '/git/diff'], ['POST', '/git/restore'],
        ['POST', '/previews'], ['GET', '/previews'], ['DELETE', '/previews/3000'], ['POST', '/previews/3000/token'], ['DELETE', '/previews/3000/private'], ['DELETE', '/previews/3000/token'],
      ] as const;
      for (const [method, route] of routes) {
        for (const id of ['not-a-uuid', '..%2F..%2Fetc', 's-1']) {
          expect({ route: `${method} ${route}`, ...(await m.call(method, `/api/internal/sessions/${id}${route}`)) }).toMatchObject({ status: 400, json: { message: 'Session id must be a UUID' } });
        }
      }
    });
  });

  describe('internal key', () => {
    it.each([
      ['GET', '/api/internal/sessions'],
      ['POST', '/api/internal/sessions'],
      ['POST', '/api/internal/sessions/x/exec'],
      ['POST', '/api/internal/sessions/x/exec/stream'],
      ['GET', '/api/internal/sessions/x/files?path=.'],
      ['PUT', '/api/internal/sessions/x/files/content?path=a'],
      ['DELETE', '/api/internal/sessions/x'],
    ])('should answer 403 to %s %s without the right key', async (method, path) => {
      for (const key of [undefined, 'wrong-key-0123456789abcdef']) {
        const res = await request(`${m.url}${path}`, { method: method as 'GET', headers: key ? { 'x-internal-service-key': key } : {} });
        expect(res.statusCode).toBe(403);
        expect(await res.body.json()).toEqual({ statusCode: 403, message: 'Forbidden' });
      }
    });
  });

  it('should report docker and sqlite in /health', async () => {
    const res = await m.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', info: { docker: { status: 'up' }, sqlite: { status: 'up' } } });
  });
});
