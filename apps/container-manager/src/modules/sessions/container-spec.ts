import type { ContainerCreateOptions } from 'dockerode';
import { AGENT_LABEL, containerName, MANAGED_LABEL, MANAGER_LABEL, SESSION_LABEL, TEST_LABEL } from '../../common/paths';
import { AGENT_CONTROL_DIR_IN_SANDBOX, AGENT_PATH_IN_SANDBOX, AGENT_TOKEN_ENV, AgentMount } from '../../repositories/sandbox-agent/sandbox-agent.repository';

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
  /** The in-sandbox agent, when there is one: it becomes PID 1 and runs `command` (the image's own) as a child. */
  agent?: AgentMount & { command: string[] };
}

/**
 * The hardened container definition of a sandbox (docs/sandboxes.md explains each line): unprivileged
 * user, no capabilities, no privilege gain, bounded pids/memory/cpu/logs, read-only root with a small
 * tmpfs, only the workspace mounted, on the isolated sandbox network.
 */
export function sandboxContainerSpec(input: SandboxSpecInput): ContainerCreateOptions {
  const memoryBytes = input.memoryMb * 1024 * 1024;
  const spec: ContainerCreateOptions = {
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
  return input.agent ? withAgent(spec, input.agent) : spec;
}

/**
 * The agent as PID 1 (docs/sandbox-agent.md): its binary and the manager's socket directory are
 * mounted read-only, its token is in its environment (it scrubs it before anything else runs). PID 1
 * of the sandbox's PID namespace cannot be killed from inside and reaps orphans itself, so no
 * docker-init. It ignores SIGTERM (the sandbox could send it), so the container stops with SIGKILL.
 */
function withAgent(spec: ContainerCreateOptions, agent: AgentMount & { command: string[] }): ContainerCreateOptions {
  return {
    ...spec,
    Entrypoint: [AGENT_PATH_IN_SANDBOX],
    Cmd: agent.command,
    Env: [...(spec.Env ?? []), `${AGENT_TOKEN_ENV}=${agent.token}`],
    Labels: { ...spec.Labels, [AGENT_LABEL]: agent.version },
    StopSignal: 'SIGKILL',
    HostConfig: {
      ...spec.HostConfig,
      Init: false,
      Binds: [...(spec.HostConfig?.Binds ?? []), `${agent.binary}:${AGENT_PATH_IN_SANDBOX}:ro`, `${agent.controlDir}:${AGENT_CONTROL_DIR_IN_SANDBOX}:ro`],
    },
  };
}
