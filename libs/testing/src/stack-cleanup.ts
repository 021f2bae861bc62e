import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { requireStackVar } from './stack-env';

/** Deletes every Redis key under `prefix:` (BullMQ's and the worker's). */
export async function deleteRedisPrefix(prefix: string, redisUrl = requireStackVar('REDIS_URL')): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Names of the containers (running or not) that carry every label given as `key=value`. */
export function containersLabelled(...labels: string[]): string[] {
  const args = ['ps', '-a', '--format', '{{.Names}}', ...labels.flatMap((label) => ['--filter', `label=${label}`])];
  return execFileSync('docker', args).toString().split('\n').filter(Boolean);
}

/** Force-removes every container a test's container-manager (`SANDBOX_MANAGER_ID`) left behind. */
export function removeManagerContainers(managerId: string): void {
  const names = containersLabelled(`sandbox.manager-id=${managerId}`);
  if (names.length > 0) execFileSync('docker', ['rm', '-f', ...names], { stdio: 'ignore' });
}
