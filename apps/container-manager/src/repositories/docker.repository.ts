import { Injectable } from '@nestjs/common';
import Docker from 'dockerode';
import { Readable, Writable } from 'node:stream';
import { ManagerConfig } from '../config/manager-config';
import { MANAGED_LABEL, MANAGER_LABEL, sessionOfContainer } from '../common/paths';

export interface ContainerState {
  id: string;
  name: string;
  running: boolean;
  /** Frozen (docker pause): neither running nor stopped. */
  paused: boolean;
  sessionId: string | null;
}

export interface ContainerDetails extends ContainerState {
  /** Address on the sandbox network (SANDBOX_NETWORK); null when not attached to it. */
  ipAddress: string | null;
  labels: Record<string, string>;
}

export interface ExecOptions {
  cmd: string[];
  env?: string[];
  user: string;
  stdin?: Buffer;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** Aborting destroys the attached stream (the process itself is left to the caller to kill). */
  signal?: AbortSignal;
}

export interface BuildOptions {
  tag: string;
  /** Network of the RUN steps' containers. */
  network: string;
  memoryBytes: number;
  cpu: number;
  labels: Record<string, string>;
  signal: AbortSignal;
}

/** One message of the Engine API's build stream. */
export interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  aux?: { ID?: string };
}

/** A container event of this manager's sandboxes, as the Engine API reports it. */
export interface ContainerEvent {
  action: string;
  containerId: string;
  sessionId: string | null;
}

/** How a container stopped, read from its state. */
export interface ContainerExit {
  running: boolean;
  paused: boolean;
  /** Being removed or dead: as good as gone. */
  removing: boolean;
  exitCode: number;
  oomKilled: boolean;
}

/** The Engine API's one-shot stats, reduced to what usage needs. */
export interface ContainerStats {
  /** Total CPU time of the container and of the host, in ns; `onlineCpus` to scale. */
  cpuTotalNs: number;
  systemCpuNs: number;
  /** The previous sample the daemon took (absent with one-shot stats). */
  preCpuTotalNs: number | null;
  preSystemCpuNs: number | null;
  onlineCpus: number;
  /** Memory in use, page cache excluded (as `docker stats` shows it). */
  memoryBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
}

export interface EventWatch {
  close(): void;
}

/** Status code the Engine API answered with, if the error came from it. */
export function dockerStatusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Every call the manager makes to the Docker Engine API goes through here: the one dockerode client of the app. */
@Injectable()
export class DockerRepository {
  private readonly docker: Docker;

  constructor(private readonly config: ManagerConfig) {
    this.docker = new Docker(dockerOptions(config.dockerHost));
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (dockerStatusOf(error) === 404) return false;
      throw error;
    }
  }

  /** The image's id (it changes when the tag is rebuilt), or null when there is no such image. */
  async imageId(image: string): Promise<string | null> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (error) {
      if (dockerStatusOf(error) === 404) return null;
      throw error;
    }
  }

  /** What an image runs by default (its entrypoint, then its command); [] when it names nothing. */
  async imageCommand(image: string): Promise<string[]> {
    const { Config } = await this.docker.getImage(image).inspect();
    const entrypoint = Config.Entrypoint;
    return [...(typeof entrypoint === 'string' ? [entrypoint] : (entrypoint ?? [])), ...(Config.Cmd ?? [])];
  }

  /** Size in bytes of a local image, or null when there is no such image. */
  async imageSize(image: string): Promise<number | null> {
    try {
      return (await this.docker.getImage(image).inspect()).Size;
    } catch (error) {
      if (dockerStatusOf(error) === 404) return null;
      throw error;
    }
  }

  /** Removes an image (and its untagged parents); a missing one counts as removed. */
  async removeImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).remove({ force: true });
    } catch (error) {
      if (dockerStatusOf(error) !== 404) throw error;
    }
  }

  async tagImage(image: string, repo: string, tag: string): Promise<void> {
    await this.docker.getImage(image).tag({ repo, tag });
  }

  /** Removes one tag of an image that keeps its other tags. */
  async untagImage(reference: string): Promise<void> {
    await this.docker.getImage(reference).remove({ noprune: true });
  }

  /**
   * Builds an image with the classic builder, never pulling nor using the layer cache, and hands over each message of its
   * JSON stream. Resolves with the ids of the layers written, oldest first (also on failure, so a
   * failed build's layers can be removed), and the error the builder reported, if any. Aborting the
   * signal closes the connection, which cancels the build (the daemon may still commit the step it
   * was running: see `danglingImages`).
   */
  async buildImage(context: Buffer, options: BuildOptions, onMessage: (message: BuildMessage) => void): Promise<{ layers: string[]; error: string | null }> {
    const stream = await this.docker.buildImage(Readable.from([context]), {
      t: options.tag,
      networkmode: options.network,
      pull: false,
      rm: true,
      forcerm: true,
      // Every step runs: no layer of another user's build is reused, and a failed build's layers are its own.
      nocache: true,
      memory: options.memoryBytes,
      memswap: options.memoryBytes,
      cpuperiod: 100_000,
      cpuquota: Math.round(options.cpu * 100_000),
      labels: options.labels,
      abortSignal: options.signal,
    } as Docker.ImageBuildOptions);
    const layers: string[] = [];
    let error: string | null = null;
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err && !options.signal.aborted ? reject(err) : resolve()),
        (message: BuildMessage) => {
          const layer = /^ ---> ([0-9a-f]{12,64})\s*$/.exec(message.stream ?? '')?.[1];
          if (layer) layers.push(layer);
          if (message.error) error = message.error;
          onMessage(message);
        },
      );
      options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return { layers, error };
  }

  /**
   * Removes a build layer only if nothing names it: an image with a tag (a template, or the base a
   * FROM step reported as its first layer) is never touched: false then. Gone or in use counts as done.
   */
  async removeUntaggedImage(id: string): Promise<boolean> {
    try {
      const { RepoTags } = await this.docker.getImage(id).inspect();
      if ((RepoTags ?? []).some((tag) => tag !== '<none>:<none>')) return false;
      await this.docker.getImage(id).remove({ force: false });
    } catch (error) {
      if (![404, 409].includes(dockerStatusOf(error) ?? 0)) throw error;
    }
    return true;
  }

  /** Untagged images (layers left by builds) with their parent, newest first. */
  async danglingImages(): Promise<{ id: string; parentId: string; labels: Record<string, string> }[]> {
    const images = await this.docker.listImages({ all: true, filters: { dangling: ['true'] } });
    return images.sort((a, b) => b.Created - a.Created).map((image) => ({ id: image.Id, parentId: image.ParentId, labels: image.Labels ?? {} }));
  }

  async createContainer(spec: Docker.ContainerCreateOptions): Promise<string> {
    const container = await this.docker.createContainer(spec);
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if (dockerStatusOf(error) !== 304) throw error; // 304: already running
    }
  }

  async stopContainer(id: string, timeoutS: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutS });
    } catch (error) {
      if (dockerStatusOf(error) !== 304) throw error; // 304: already stopped
    }
  }

  /** Freezes every process of a running container (cgroup freezer); 409 (not running) is ignored. */
  async pauseContainer(id: string): Promise<boolean> {
    try {
      await this.docker.getContainer(id).pause();
      return true;
    } catch (error) {
      if (dockerStatusOf(error) === 409) return false;
      throw error;
    }
  }

  async unpauseContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).unpause();
    } catch (error) {
      if (dockerStatusOf(error) !== 409) throw error; // 409: not paused (any more)
    }
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.docker.getContainer(id).rename({ name });
  }

  /** Removes a container (running or not); a missing one counts as removed. */
  async removeContainer(idOrName: string): Promise<void> {
    try {
      await this.docker.getContainer(idOrName).remove({ force: true, v: true });
    } catch (error) {
      const status = dockerStatusOf(error);
      if (status !== 404 && status !== 409) throw error; // 409: removal already in progress
    }
  }

  async inspectContainer(idOrName: string): Promise<ContainerDetails | null> {
    try {
      const info = await this.docker.getContainer(idOrName).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        running: info.State.Running,
        paused: info.State.Paused,
        sessionId: sessionOfContainer(info.Config.Labels, info.Name),
        ipAddress: info.NetworkSettings.Networks?.[this.config.network]?.IPAddress || null,
        labels: info.Config.Labels ?? {},
      };
    } catch (error) {
      if (dockerStatusOf(error) === 404) return null;
      throw error;
    }
  }

  /** How the container stands (exit code, OOM kill); null when it no longer exists. */
  async containerExit(idOrName: string): Promise<ContainerExit | null> {
    try {
      const { State } = await this.docker.getContainer(idOrName).inspect();
      return {
        running: State.Running,
        paused: State.Paused,
        removing: State.Status === 'removing' || State.Dead,
        exitCode: State.ExitCode,
        oomKilled: State.OOMKilled,
      };
    } catch (error) {
      if (dockerStatusOf(error) === 404) return null;
      throw error;
    }
  }

  /**
   * Resource use of a running container. `oneShot` answers at once without the daemon's previous
   * sample (the caller keeps its own); otherwise the daemon waits about a second to take two.
   */
  async containerStats(id: string, oneShot: boolean): Promise<ContainerStats> {
    const stats = (await this.docker.getContainer(id).stats({ stream: false, 'one-shot': oneShot } as { stream: false })) as unknown as RawStats;
    const cache = stats.memory_stats?.stats?.total_inactive_file ?? stats.memory_stats?.stats?.inactive_file ?? 0;
    const networks = Object.values(stats.networks ?? {});
    return {
      cpuTotalNs: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
      systemCpuNs: stats.cpu_stats?.system_cpu_usage ?? 0,
      preCpuTotalNs: stats.precpu_stats?.system_cpu_usage ? (stats.precpu_stats.cpu_usage?.total_usage ?? 0) : null,
      preSystemCpuNs: stats.precpu_stats?.system_cpu_usage ?? null,
      onlineCpus: stats.cpu_stats?.online_cpus || stats.cpu_stats?.cpu_usage?.percpu_usage?.length || 1,
      memoryBytes: Math.max(0, (stats.memory_stats?.usage ?? 0) - cache),
      networkRxBytes: networks.reduce((sum, n) => sum + (n.rx_bytes ?? 0), 0),
      networkTxBytes: networks.reduce((sum, n) => sum + (n.tx_bytes ?? 0), 0),
    };
  }

  /**
   * Follows Docker's container events of this manager's sandboxes (by label; `anyManager`: of every
   * managed sandbox) until closed. A broken stream is reopened with exponential backoff (up to 5 s);
   * `onReconnect` runs each time it is open again, so the caller can look for what it missed meanwhile.
   */
  watchContainerEvents(actions: string[], onEvent: (event: ContainerEvent) => void, onReconnect: () => void, options: { anyManager?: boolean } = {}): EventWatch {
    let closed = false;
    let stream: Readable | undefined;
    let delay = 100;
    let opened = false;
    const label = options.anyManager ? [`${MANAGED_LABEL}=true`] : [`${MANAGED_LABEL}=true`, `${MANAGER_LABEL}=${this.config.managerId}`];
    const filters = { type: ['container' as const], event: actions, label };
    const retry = () => {
      stream = undefined;
      if (closed) return;
      setTimeout(open, delay).unref();
      delay = Math.min(delay * 2, 5_000);
    };
    const open = () => {
      if (closed) return;
      this.docker.getEvents({ filters }).then(
        (events) => {
          if (closed) return void (events as Readable).destroy();
          stream = events as Readable;
          delay = 100;
          if (opened) onReconnect();
          opened = true;
          let buffered = '';
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => {
            buffered += chunk;
            let newline: number;
            while ((newline = buffered.indexOf('\n')) >= 0) {
              const event = parseContainerEvent(buffered.slice(0, newline));
              buffered = buffered.slice(newline + 1);
              if (event) onEvent(event);
            }
          });
          stream.on('error', () => undefined);
          stream.on('close', retry);
        },
        () => {
          opened = true; // whatever happened while it was unreachable is looked for on the next open
          retry();
        },
      );
    };
    open();
    return {
      close: () => {
        closed = true;
        stream?.destroy();
      },
    };
  }

  /** Containers this manager owns (by label), whatever their state. */
  async listManagedContainers(): Promise<ContainerState[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${MANAGED_LABEL}=true`, `${MANAGER_LABEL}=${this.config.managerId}`] },
    });
    return containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      running: c.State === 'running',
      paused: c.State === 'paused',
      sessionId: sessionOfContainer(c.Labels, c.Names[0]),
    }));
  }

  /**
   * Runs a process in a container and resolves when its output streams close, with the exit code
   * Docker recorded. Output is demultiplexed and handed over chunk by chunk.
   */
  async exec(containerId: string, options: ExecOptions): Promise<{ exitCode: number | null }> {
    const exec = await this.docker.getContainer(containerId).exec({
      Cmd: options.cmd,
      Env: options.env,
      User: options.user,
      AttachStdin: options.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
    const sink = (handler: (chunk: Buffer) => void) =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          handler(chunk);
          callback();
        },
      });
    this.docker.modem.demuxStream(stream, sink(options.onStdout), sink(options.onStderr));
    const onAbort = () => stream.destroy();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('end', () => resolve());
        stream.once('close', () => resolve());
        stream.once('error', (error) => (options.signal?.aborted ? resolve() : reject(error)));
        if (options.stdin !== undefined) {
          stream.write(options.stdin);
          stream.end(); // half-close: the process sees EOF on stdin
        }
      });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (options.signal?.aborted) return { exitCode: null };
    for (let attempt = 0; attempt < 20; attempt++) {
      const info = await exec.inspect();
      if (!info.Running) return { exitCode: info.ExitCode ?? null };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { exitCode: null };
  }
}

interface RawStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

function parseContainerEvent(line: string): ContainerEvent | null {
  try {
    const event = JSON.parse(line) as { Action?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const containerId = event.Actor?.ID ?? event.id;
    if (!event.Action || !containerId) return null;
    return { action: event.Action, containerId, sessionId: sessionOfContainer(event.Actor?.Attributes, event.Actor?.Attributes?.name) };
  } catch {
    return null;
  }
}

/** dockerode's connection options for a `DOCKER_HOST` (unix://, tcp:// or http://). */
export function dockerOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}
