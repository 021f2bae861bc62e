import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { eventually } from '@sandbox/testing';
import { gitDir, volumeDir } from '../../common/paths';
import { FakeGateway } from '../../../test/support/fake-gateway';
import { makeDataDir, removeDataDir, removeManagedContainers, spawnManager, startManager } from '../../../test/support/manager-harness';
import { GIT_HOST_FLAG } from './git-host';

/** Pids of the git host processes (bwrap and its namespace's init) started for `volume`, from /proc. */
function gitHostsOf(volume: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(GIT_HOST_FLAG) && argv.includes(volume)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe('git host across a manager crash', () => {
  const gateway = new FakeGateway();
  const dataDir = makeDataDir();
  const env = () => ({ API_GATEWAY_URL: gateway.url, OUTBOX_BACKOFF_BASE_MS: '50', OUTBOX_POLL_MS: '100', SANDBOX_STOP_TIMEOUT_S: '1', SANDBOX_DEFAULT_MEMORY_MB: '256' });

  beforeAll(async () => gateway.up());
  afterAll(async () => {
    await gateway.down();
    await removeManagedContainers(createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
    removeDataDir(dataDir);
  });

  it('should leave no git host running when the manager is killed mid-checkpoint, checkpoint again after the restart despite the lock files a killed git leaves, and keep a history every checkpoint of which restores', async () => {
    const id = randomUUID();
    const volume = volumeDir(dataDir, id);
    const first = await spawnManager(dataDir, env());
    await first.client.createSession({ sessionId: id });
    await first.client.writeFile(id, 'a.txt', Buffer.from('one\n'));
    const one = await first.client.commit(id, { description: 'one' });
    if (!('commitHash' in one)) throw new Error('the first checkpoint recorded nothing');
    expect(gitHostsOf(volume).length).toBeGreaterThan(0);

    await first.client.writeFile(id, 'a.txt', Buffer.from('two\n'));
    // Killed while this checkpoint may be anywhere between its first git process and its row.
    const inFlight = first.client.commit(id, { description: 'two' }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await first.kill();
    await inFlight;
    await eventually(() => gitHostsOf(volume), (left) => left.length === 0, 'git host processes of the killed manager');
    // What a git killed mid-write leaves (the kill above lands there only sometimes): its lock files.
    for (const lock of ['index.lock', 'HEAD.lock', 'refs/heads/main.lock']) {
      mkdirSync(dirname(join(gitDir(dataDir, id), lock)), { recursive: true });
      writeFileSync(join(gitDir(dataDir, id), lock), '');
    }

    const second = await startManager(env(), dataDir);
    try {
      await second.client.writeFile(id, 'a.txt', Buffer.from('three\n'));
      const three = await second.client.commit(id, { description: 'three' });
      if (!('commitHash' in three)) throw new Error('the checkpoint after the restart recorded nothing');
      const { checkpoints } = await second.client.checkpoints(id);
      expect(checkpoints.map((checkpoint) => checkpoint.commitHash)).toEqual(expect.arrayContaining([one.commitHash, three.commitHash]));
      // Every recorded checkpoint is a commit git still has: restoring it gives its content back.
      for (const checkpoint of checkpoints.filter((candidate) => ['one', 'two', 'three'].includes(candidate.description ?? ''))) {
        await second.client.restore(id, checkpoint.commitHash);
        expect((await second.client.readFile(id, 'a.txt')).toString('utf8')).toBe(`${checkpoint.description}\n`);
      }
    } finally {
      await second.close();
    }
  });
});
