import type { ContainerCreateOptions } from 'dockerode';
import { AGENT_LABEL, containerName, MANAGED_LABEL, MANAGER_LABEL, POOL_LABEL, POOL_SLOT_LABEL, SESSION_LABEL, TEST_LABEL } from '../../common/paths';
import type { ManagerConfig } from '../../config/manager-config';
import { AGENT_CONTROL_DIR_IN_SANDBOX, AGENT_PATH_IN_SANDBOX, AGENT_TOKEN_ENV, AgentMount } from '../../repositories/sandbox-agent/sandbox-agent.repository';

export const SANDBOX_UID = 1000;
export const SANDBOX_WORKDIR = '/workspace';

/** What every sandbox of one manager shares: its network, bounds, log size and labels. */
export interface SandboxHostSettings {
  network: string;
  pidsLimit: number;
  tmpfsMb: number;
  logMaxSize: string;
  managerId: string;
  testLabel: boolean;
}

/** The host settings of this manager's sandboxes, from its configuration. */
export function sandboxHostSettings(config: ManagerConfig): SandboxHostSettings {
  const { network, pidsLimit, tmpfsMb, logMaxSize, managerId, testLabel } = config;
  return { network, pidsLimit, tmpfsMb, logMaxSize, managerId, testLabel };
}

export interface SandboxSpecInput extends SandboxHostSettings {
  sessionId: string;
  image: string;
  workspaceHostPath: string;
  env: Record<string, string>;
  cpu: number;
  memoryMb: number;
  /** The in-sandbox agent, when there is one: it becomes PID 1 and runs `command` (the image's own) as a child. */
  agent?: AgentMount & { command: string[] };
}

/** A pooled sandbox: no session yet; `workspaceHostPath` is its slot, which a claim mounts the session's workspace onto. */
export interface PooledSpecInput extends Omit<SandboxSpecInput, 'sessionId' | 'env' | 'agent'> {
  slotId: string;
  template: string;
  agent: AgentMount & { command: string[] };
}

export function pooledContainerName(slotId: string): string {
  return `sandbox-pool-${slotId}`;
}

/**
 * The same hardened sandbox for the warm pool (docs/sandboxes.md, "Warm pool"): named and labelled
 * for its slot rather than a session, without session env (given to the agent per command after
 * the claim), and with /workspace bound from the slot with rslave propagation, so the session's
 * workspace, mounted on the slot at the claim, appears inside it.
 */
export function pooledContainerSpec(input: PooledSpecInput): ContainerCreateOptions {
  const spec = sandboxContainerSpec({ ...input, sessionId: input.slotId, env: {} });
  const labels: Record<string, string> = { ...spec.Labels, [POOL_LABEL]: input.template, [POOL_SLOT_LABEL]: input.slotId };
  delete labels[SESSION_LABEL];
  return {
    ...spec,
    name: pooledContainerName(input.slotId),
    Labels: labels,
    HostConfig: {
      ...spec.HostConfig,
      Binds: (spec.HostConfig?.Binds ?? []).filter((bind) => !bind.endsWith(`:${SANDBOX_WORKDIR}:rw`)),
      Mounts: [{ Type: 'bind', Source: input.workspaceHostPath, Target: SANDBOX_WORKDIR, ReadOnly: false, BindOptions: { Propagation: 'rslave' } }],
    },
  };
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
