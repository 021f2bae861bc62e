import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Template, TemplateStatus } from '@sandbox/contracts';
import { EgressTargets, TARGET_PORT } from '../../../test/support/egress-targets';
import { docker, ManagerHarness, startManager } from '../../../test/support/manager-harness';
import { TemplatesController } from './templates.controller';

const SANDBOX_NETWORK = process.env.SANDBOX_NETWORK ?? 'sandbox-net';
const METADATA = '169.254.169.254';
const HOST_REPLY = 'host-listener';

const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

async function waitForBuild(m: ManagerHarness, name: string): Promise<Template> {
  for (;;) {
    const template = await m.client.getTemplate(name);
    if (template.status !== TemplateStatus.Building) return template;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Removes every image a test manager built (a failed assertion may leave templates behind). */
async function removeTemplateImages(managerId: string): Promise<void> {
  const images = await docker.listImages({ all: true, filters: { label: [`sandbox.manager-id=${managerId}`] } });
  for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
}

/** Node program: connects to each host:port argument, prints `PROBE {"host:port":"reached"|"blocked"}`. */
const PROBE = `
const net = require('net');
Promise.all(process.argv.slice(1).map((target) => new Promise((resolve) => {
  const [host, port] = target.split(':');
  const socket = net.connect({ host, port: Number(port) });
  const done = (outcome) => { socket.destroy(); resolve([target, outcome]); };
  socket.setTimeout(2000, () => done('blocked'));
  socket.on('data', () => done('reached'));
  socket.on('error', () => done('blocked'));
}))).then((outcomes) => console.log('PROBE ' + JSON.stringify(Object.fromEntries(outcomes))));
`;
const probeArgs = (targets: string[]) => targets.map((t) => `"${t}"`).join(' ');

describe(TemplatesController.name, () => {
  let m: ManagerHarness;

  beforeAll(async () => {
    m = await startManager();
  });
  afterAll(async () => {
    await m?.destroy();
    if (m) await removeTemplateImages(m.managerId);
  });

  describe('built-in templates', () => {
    it('should list base and dev as READY built-in templates with their sizes', async () => {
      const { templates } = await m.client.listTemplates();
      const byName = Object.fromEntries(templates.map((t) => [t.name, t]));
      expect(byName.base).toMatchObject({ status: TemplateStatus.Ready, builtIn: true, baseTemplate: null });
      expect(byName.dev).toMatchObject({ status: TemplateStatus.Ready, builtIn: true, baseTemplate: null });
      expect(byName.dev.sizeBytes).toBeGreaterThan(byName.base.sizeBytes!);
    });

    it('should start a session without a template on dev, with the tools of a development machine as uid 1000', async () => {
      const sessionId = randomUUID();
      const session = await m.client.createSession({ sessionId });
      expect(session).toMatchObject({ template: 'dev', image: process.env.SANDBOX_DEV_IMAGE ?? 'sandbox-dev:local' });
      const script = [
        'set -e',
        'for tool in git python3 pip3 gcc make npm nohup curl jq unzip bash; do command -v $tool >/dev/null || { echo "missing $tool"; exit 1; }; done',
        'python3 -m venv .venv && .venv/bin/pip --version >/dev/null && echo venv-ok',
        'printf "all:\\n\\tgcc -o hello hello.c\\n" > Makefile && printf "int main(void){return 7;}" > hello.c && make -s && status=0 && { ./hello || status=$?; } && echo "exit=$status"',
        'node --version && npm --version >/dev/null && echo npm-ok',
        'nohup sh -c "echo detached" >/tmp/nohup.out 2>&1 && cat /tmp/nohup.out',
        'echo \'{"a":[1,2]}\' | jq -c .a',
        'git init -q repo && cd repo && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m init && git log --format=%s',
        'id -u; echo $HOME; echo $LANG',
      ].join('\n');
      const result = await m.client.exec(sessionId, { command: ['bash', '-c', script], timeoutMs: 60_000 });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(['venv-ok', 'exit=7', expect.stringMatching(/^v24\./), 'npm-ok', 'detached', '[1,2]', 'init', '1000', '/workspace', 'C.UTF-8']);
      await m.client.deleteSession(sessionId);
    });

    it('should start a session on base when asked', async () => {
      const sessionId = randomUUID();
      expect(await m.client.createSession({ sessionId, template: 'base' })).toMatchObject({ template: 'base', image: process.env.SANDBOX_IMAGE ?? 'sandbox-base:local' });
      expect((await m.client.exec(sessionId, { command: 'command -v git || echo no-git' })).stdout).toBe('no-git\n');
      await m.client.deleteSession(sessionId);
    });
  });

  describe('user templates', () => {
    it('should build a template FROM dev, stream its output to the build log, and start sessions from it', async () => {
      const name = uniqueName('tools');
      const created = await m.call('POST', '/api/internal/templates', {
        name,
        dockerfile: 'FROM dev\nUSER root\nRUN echo built-by-template > /opt/marker \\\n && echo step-output\nUSER 1000\nENV TEMPLATE_GREETING=hi\n',
      });
      expect(created.status).toBe(202);
      expect(created.json).toMatchObject({ name, status: TemplateStatus.Building, builtIn: false, baseTemplate: 'dev' });
      const built = await waitForBuild(m, name);
      expect(built.status).toBe(TemplateStatus.Ready);
      expect(built.buildLog).toContain('step-output');
      expect(built.sizeBytes).toBeGreaterThan(0);

      const sessionId = randomUUID();
      const session = await m.client.createSession({ sessionId, template: name });
      expect(session.template).toBe(name);
      const result = await m.client.exec(sessionId, { command: 'cat /opt/marker; echo $TEMPLATE_GREETING; id -u; git --version >/dev/null && echo git-ok' });
      expect(result.stdout).toBe('built-by-template\nhi\n1000\ngit-ok\n');

      // Refused while a session uses it, and while it is the base of another template.
      const inUse = await m.call('DELETE', `/api/internal/templates/${name}`);
      expect(inUse).toMatchObject({ status: 409, json: { message: `Template ${name} is used by 1 session(s); delete them first` } });
      await m.client.deleteSession(sessionId);
      const child = uniqueName('child');
      await m.client.createTemplate({ name: child, dockerfile: `FROM ${name}\nRUN true\n` });
      expect((await waitForBuild(m, child)).status).toBe(TemplateStatus.Ready);
      const isBase = await m.call('DELETE', `/api/internal/templates/${name}`);
      expect(isBase).toMatchObject({ status: 409, json: { message: `Template ${name} is the base of template ${child}; delete that first` } });

      await m.client.deleteTemplate(child);
      await m.client.deleteTemplate(name);
      expect(await m.call('GET', `/api/internal/templates/${name}`)).toMatchObject({ status: 404, json: { message: `Unknown template ${name}` } });
      expect(await docker.listImages({ filters: { label: [`sandbox.manager-id=${m.managerId}`] } })).toEqual([]);
      const gone = await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), template: name });
      expect(gone).toMatchObject({ status: 400, json: { message: `Unknown template ${name}` } });
    });

    it('should refuse what it cannot build safely, with exact errors', async () => {
      const post = (name: string, dockerfile: string) => m.call('POST', '/api/internal/templates', { name, dockerfile });
      expect(await post(uniqueName('u'), 'FROM ubuntu\nRUN true\n')).toMatchObject({ status: 400, json: { message: 'Unknown base template ubuntu' } });
      expect(await post(uniqueName('u'), 'FROM dev\nFROM docker.io/library/debian:latest\n')).toMatchObject({ status: 400, json: { message: 'Unknown base template docker.io/library/debian:latest' } });
      expect(await post(uniqueName('u'), 'ARG IMG=dev\nFROM $IMG\n')).toMatchObject({ status: 400, json: { message: 'Unknown base template $IMG' } });
      expect((await post(uniqueName('u'), 'FROM dev\nADD http://169.254.169.254/latest/meta-data/ /x\n')).status).toBe(400);
      expect((await post(uniqueName('u'), 'FROM dev\nCOPY --from=alpine /etc/passwd /x\n')).json).toMatchObject({ message: 'Line 2: COPY --from must name an earlier stage, not alpine' });
      expect((await post(uniqueName('u'), 'FROM dev\nONBUILD RUN id\n')).status).toBe(400);
      expect((await post(uniqueName('u'), '# escape=`\nFROM dev\n')).status).toBe(400);
      expect((await post('Bad_Name', 'FROM dev\n')).status).toBe(400);
      expect(await post('dev', 'FROM base\n')).toMatchObject({ status: 409, json: { message: 'Template dev already exists' } });
      expect(await m.call('DELETE', '/api/internal/templates/dev')).toMatchObject({ status: 400, json: { message: 'Template dev is built in and cannot be deleted' } });
      expect(await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), template: 'ubuntu' })).toMatchObject({ status: 400, json: { message: 'Unknown template ubuntu' } });
    });
  });

  describe('isolation of build steps', () => {
    let hostListener: Server;
    let targets: EgressTargets | undefined;

    beforeAll(async () => {
      hostListener = createServer((socket) => socket.end(`${HOST_REPLY}\n`));
      await new Promise<void>((resolve) => hostListener.listen(0, '0.0.0.0', resolve));
      targets = new EgressTargets([METADATA]);
      await targets.up();
      const subnet = await sandboxSubnet();
      targets.routeFrom(subnet); // build containers get addresses we cannot know in advance
    });
    afterAll(async () => {
      await targets?.destroy();
      await new Promise((resolve) => hostListener?.close(resolve));
    });

    it('should keep RUN steps from the host bridge addresses and the metadata endpoint, which an unrestricted container reaches', async () => {
      const port = (hostListener.address() as AddressInfo).port;
      const sandboxGateway = (await sandboxSubnet()).replace(/\.0\/\d+$/, '.1'); // the host's address on sandbox-net
      const hostTargets = [`${sandboxGateway}:${port}`, `172.17.0.1:${port}`];
      const allTargets = [...hostTargets, `${METADATA}:${TARGET_PORT}`];

      // Controls: the host listener answers a container on Docker's default bridge, and the metadata target answers the host.
      const control = await runOnDefaultBridge(['node', '-e', PROBE, ...hostTargets]);
      expect(JSON.parse(/PROBE (\{.*\})/.exec(control)![1])).toEqual(Object.fromEntries(hostTargets.map((t) => [t, 'reached'])));
      expect(await targets!.probeFromHost(METADATA)).toBe('reached');

      const name = uniqueName('hostile');
      await m.client.createTemplate({
        name,
        dockerfile: `FROM dev\nUSER root\nRUN node -e '${PROBE.replace(/'/g, "'\\''").replace(/\n/g, ' ')}' ${probeArgs(allTargets)}\nRUN ls /var/run/docker.sock 2>&1 || true\n`,
      });
      const built = await waitForBuild(m, name);
      expect(built.status).toBe(TemplateStatus.Ready);
      const line = built.buildLog.split('\n').find((l) => l.startsWith('PROBE '));
      expect(JSON.parse(line!.slice('PROBE '.length))).toEqual(Object.fromEntries(allTargets.map((t) => [t, 'blocked'])));
      expect(built.buildLog).toMatch(/docker\.sock'?: No such file or directory/);
      await m.client.deleteTemplate(name);
    });
  });
});

describe('template build limits', () => {
  let m: ManagerHarness;

  beforeAll(async () => {
    const baseSize = (await docker.getImage(process.env.SANDBOX_IMAGE ?? 'sandbox-base:local').inspect()).Size;
    m = await startManager({ TEMPLATE_MAX_SIZE_MB: String(Math.ceil(baseSize / 1024 / 1024) + 10), TEMPLATE_BUILD_TIMEOUT_MS: '10000' });
  });
  afterAll(async () => {
    await m?.destroy();
    if (m) await removeTemplateImages(m.managerId);
  });

  const leftovers = async () => ({
    images: await docker.listImages({ all: true, filters: { label: [`sandbox.manager-id=${m.managerId}`] } }),
    containers: (await docker.listContainers({ all: true })).filter((c) => c.Image.startsWith(`sandbox-template-${m.managerId}`)),
  });

  it('should fail an image above TEMPLATE_MAX_SIZE_MB and leave no image behind', async () => {
    const name = uniqueName('big');
    await m.client.createTemplate({ name, dockerfile: 'FROM base\nRUN head -c 31457280 /dev/zero > /workspace/filler\n' });
    const built = await waitForBuild(m, name);
    expect(built.status).toBe(TemplateStatus.Failed);
    expect(built.buildLog).toMatch(/The image is \d+ MB, above the limit of \d+ MB \(TEMPLATE_MAX_SIZE_MB\)/);
    expect(built.sizeBytes).toBeNull();
    expect(await leftovers()).toEqual({ images: [], containers: [] });
    expect(await m.call('POST', '/api/internal/sessions', { sessionId: randomUUID(), template: name })).toMatchObject({ status: 409, json: { message: `Template ${name} is not ready (status: FAILED)` } });
    await m.client.deleteTemplate(name);
  });

  it('should cancel a build running past TEMPLATE_BUILD_TIMEOUT_MS and leave no image behind', async () => {
    const name = uniqueName('slow');
    await m.client.createTemplate({ name, dockerfile: 'FROM base\nRUN echo first > /workspace/first\nRUN sleep 60\n' });
    const built = await waitForBuild(m, name);
    expect(built.status).toBe(TemplateStatus.Failed);
    expect(built.buildLog).toContain('Build cancelled after 10000 ms (TEMPLATE_BUILD_TIMEOUT_MS)');
    // The daemon removes the cancelled step's container shortly after the connection closes.
    for (let i = 0; i < 50 && (await leftovers()).containers.length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await leftovers()).toEqual({ images: [], containers: [] });
  });

  it('should leave the base template image alone when the first step after FROM fails', async () => {
    const baseImage = process.env.SANDBOX_IMAGE ?? 'sandbox-base:local';
    const before = (await docker.getImage(baseImage).inspect()).Id;
    const name = uniqueName('first-fails');
    await m.client.createTemplate({ name, dockerfile: 'FROM base\nRUN exit 4\n' });
    expect((await waitForBuild(m, name)).status).toBe(TemplateStatus.Failed);
    // The builder reports the base's id as the FROM step's layer: it is a template, never a leftover.
    expect((await docker.getImage(baseImage).inspect()).Id).toBe(before);
    expect(await leftovers()).toEqual({ images: [], containers: [] });
  });

  it('should record a failing RUN as FAILED with its output and leave no image behind', async () => {
    const name = uniqueName('broken');
    await m.client.createTemplate({ name, dockerfile: 'FROM base\nRUN echo partial > /workspace/partial\nRUN echo about-to-fail && exit 3\n' });
    const built = await waitForBuild(m, name);
    expect(built.status).toBe(TemplateStatus.Failed);
    expect(built.buildLog).toContain('about-to-fail');
    expect(built.buildLog).toMatch(/returned a non-zero code: 3/);
    expect(await leftovers()).toEqual({ images: [], containers: [] });
  });
});

async function sandboxSubnet(): Promise<string> {
  const config = (await docker.getNetwork(SANDBOX_NETWORK).inspect()) as { IPAM: { Config: { Subnet: string }[] } };
  return config.IPAM.Config[0].Subnet;
}

/** Runs a command in the dev image on Docker's default bridge (no sandbox rules) and returns its output. */
async function runOnDefaultBridge(cmd: string[]): Promise<string> {
  const container = await docker.createContainer({ Image: process.env.SANDBOX_DEV_IMAGE ?? 'sandbox-dev:local', Cmd: cmd, Labels: { 'sandbox.test': 'true' }, HostConfig: { NetworkMode: 'bridge' } });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: true });
    return logs.toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
}
