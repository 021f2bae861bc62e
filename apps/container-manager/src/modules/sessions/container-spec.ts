import type { ContainerCreateOptions } from 'dockerode';
import { containerName, MANAGED_LABEL, MANAGER_LABEL, SESSION_LABEL, TEST_LABEL } from '../../common/paths';

export const SANDBOX_UID = 1000;
export const SANDBOX_WORKDIR = '/workspace';

export interface SandboxSpecInput {
  sessionId: string;
  image: string;
  workspaceHostPath: string;
  env: Record<string, string>;
  cpu: number;
  memoryMb: number;
  network: string;
  pidsLimit: number;
  tmpfsMb: number;
  logMaxSize: string;
  managerId: string;
  testLabel: boolean;
}

/**
 * The hardened container definition of a sandbox (docs/sandboxes.md explains each line): unprivileged
 * user, no capabilities, no privilege gain, bounded pids/memory/cpu/logs, read-only root with a small
 * tmpfs, only the workspace mounted, on the isolated sandbox network.
 */
export function sandboxContainerSpec(input: SandboxSpecInput): ContainerCreateOptions {
  const memoryBytes = input.memoryMb * 1024 * 1024;
  return {
    name: containerName(input.sessionId),
    Image: input.image,
    User: `${SANDBOX_UID}:${SANDBOX_UID}`,
    WorkingDir: SANDBOX_WORKDIR,
    Env: [`HOME=${SANDBOX_WORKDIR}`, ...Object.entries(input.env).map(([key, value]) => `${key}=${value}`)],
    Hostname: 'sandbox',
    Labels: {
      [SESSION_LABEL]: input.sessionId,
      [MANAGED_LABEL]: 'true',
      [MANAGER_LABEL]: input.managerId,
      ...(input.testLabel ? { [TEST_LABEL]: 'true' } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [input.network]: {} } },
    HostConfig: {
      Binds: [`${input.workspaceHostPath}:${SANDBOX_WORKDIR}:rw`],
      NetworkMode: input.network,
      Init: true,
      Privileged: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${input.tmpfsMb}m,mode=1777` },
      PidsLimit: input.pidsLimit,
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(input.cpu * 1e9),
      IpcMode: 'private',
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 4096 }],
      LogConfig: { Type: 'json-file', Config: { 'max-size': input.logMaxSize, 'max-file': '1' } },
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
    },
  };
}
