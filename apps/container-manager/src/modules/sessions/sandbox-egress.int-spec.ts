import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@sandbox/testing';
import { EgressTargets, ProbeOutcome, TARGET_PORT, TARGET_REPLY } from '../../../test/support/egress-targets';
import { docker, ManagerHarness, startManager } from '../../../test/support/manager-harness';

/** One address in each range `scripts/infra/firewall.sh` drops (chain SANDBOX-EGRESS, from DOCKER-USER). */
const PRIVATE_TARGETS: Record<string, string> = {
  '10.0.0.0/8': '10.254.77.77',
  '172.16.0.0/12': '172.31.77.77',
  '192.168.0.0/16': '192.168.77.77',
  '169.254.0.0/16': '169.254.169.254', // the cloud metadata endpoint itself
  '100.64.0.0/10': '100.64.77.77',
};
/**
 * Positive control. Nothing public is reachable from this machine, so a TEST-NET-3 address, in none of
 * the dropped ranges, stands in for a public one: same namespace, same listener, same route, only
 * the range differs.
 */
const PUBLIC_TARGET = '203.0.113.77';

/** Connects to every address at once from inside the sandbox; prints {address: outcome} as JSON. */
const SANDBOX_PROBE = `
const net = require('net');
const [port, ...hosts] = process.argv.slice(1);
Promise.all(hosts.map((host) => new Promise((resolve) => {
  const socket = net.connect({ host, port: Number(port) });
  const done = (outcome) => { socket.destroy(); resolve([host, outcome]); };
  socket.setTimeout(1500, () => done('blocked'));
  socket.on('data', (data) => done(String(data).trim() === '${TARGET_REPLY}' ? 'reached' : 'blocked'));
  socket.on('error', () => done('blocked'));
}))).then((outcomes) => console.log(JSON.stringify(Object.fromEntries(outcomes))));
`;

// Host → sandbox and sandbox → host are covered in sessions.int-spec.ts; this proves the egress rule.
// The targets are forwarded (not local) addresses that Docker itself would let a sandbox reach, so
// only SANDBOX-EGRESS stands between them and the sandbox: without the rule, this test fails.
describe('sandbox egress firewall (SANDBOX-EGRESS, scripts/infra/firewall.sh)', () => {
  const allTargets = [...Object.values(PRIVATE_TARGETS), PUBLIC_TARGET];
  let targets: EgressTargets | undefined;
  let m: ManagerHarness | undefined;
  let sessionId: string;

  beforeAll(async () => {
    targets = new EgressTargets(allTargets);
    await targets.up();
    m = await startManager();
    sessionId = randomUUID();
    await m.client.createSession({ sessionId });
    const network = process.env.SANDBOX_NETWORK ?? 'sandbox-net';
    const sandboxIp = (await docker.getContainer(`sandbox-session-${sessionId}`).inspect()).NetworkSettings.Networks[network].IPAddress;
    targets.routeFrom(sandboxIp);
  });

  afterAll(async () => {
    // Rules first: they name the sandbox's IP, which must not be handed to another container meanwhile.
    try {
      await targets?.destroy();
    } finally {
      await m?.destroy();
    }
  });

  it('should have one target in every range scripts/infra/firewall.sh drops', () => {
    const script = readFileSync(join(REPO_ROOT, 'scripts/infra/firewall.sh'), 'utf8');
    const dropped = /^SANDBOX_EGRESS_DROP=\(([^)]+)\)$/m.exec(script)?.[1].trim().split(/\s+/);
    expect(dropped?.sort()).toEqual(Object.keys(PRIVATE_TARGETS).sort());
  });

  it('should reach every target from the host (control: listeners and routes work)', async () => {
    const outcomes = await Promise.all(allTargets.map(async (address) => [address, await targets!.probeFromHost(address)] as const));
    expect(Object.fromEntries(outcomes)).toEqual(Object.fromEntries(allTargets.map((address) => [address, 'reached'])));
  });

  it('should let a sandbox reach a public address but no private, link-local (metadata) or CGNAT one', async () => {
    const result = await m!.client.exec(sessionId, { command: ['node', '-e', SANDBOX_PROBE, String(TARGET_PORT), ...allTargets], timeoutMs: 10_000 });
    expect(result.exitCode).toBe(0);
    const outcomes = JSON.parse(result.stdout) as Record<string, ProbeOutcome>;
    expect(outcomes).toEqual({
      [PUBLIC_TARGET]: 'reached',
      ...Object.fromEntries(Object.values(PRIVATE_TARGETS).map((address) => [address, 'blocked'])),
    });
  });
});
