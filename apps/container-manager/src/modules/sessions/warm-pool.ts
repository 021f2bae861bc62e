import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TemplateStatus } from '@sandbox/contracts';
import { PeriodicTask } from '@sandbox/shared';
import { containerName, poolDir } from '../../common/paths';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository } from '../../repositories/docker.repository';
import { LoopFilesystemRepository } from '../../repositories/loop-filesystem.repository';
import { SandboxAgentRepository } from '../../repositories/sandbox-agent/sandbox-agent.repository';
import { TemplatesService } from '../templates/templates.service';
import { pooledContainerSpec, sandboxHostSettings } from './container-spec';

/** How often the pool checks its slots and refills. A claim also triggers a refill at once. */
const REFILL_INTERVAL_MS = 2_000;
/** How long a new pooled sandbox's agent may take to connect before the slot is given up. */
const AGENT_CONNECT_MS = 10_000;
/** Marker file of a claimed slot (holds the session id), next to the slot's mount point. */
const CLAIMED_FILE = 'claimed';

interface Slot {
  id: string;
  template: string;
  image: string;
  imageId: string;
  cpu: number;
  memoryMb: number;
  containerId: string;
  /** The directory the container binds as /workspace (with rslave propagation): a claim mounts the session's workspace on it. */
  mountPoint: string;
  createdAt: number;
}

/**
 * Warm pool (docs/sandboxes.md, "Warm pool"): WARM_POOL_SIZE started, hardened sandboxes per
 * template whose agent has already connected, so a create only has to claim one: mount the new
 * session's own workspace (its quota filesystem) on the slot, which propagates into the running
 * container as /workspace; rename the container to the session's name; hand the agent the session's
 * token and socket directory. A pooled sandbox serves one session and is destroyed with it, never
 * reused, so nothing (files, processes, /tmp, env) carries over. Slots are refilled in the
 * background, one at a time. Nothing survives a manager restart except claimed slots: unclaimed
 * pooled containers are orphans for the reconciliation, their slot directories are removed here.
 */
@Injectable()
export class WarmPool implements OnApplicationShutdown {
  private readonly logger = new Logger(WarmPool.name);
  private readonly ready = new Map<string, Slot[]>();
  /** Refills one at a time; a wake during a refill runs another right after it. */
  private readonly refills = new PeriodicTask(
    () => this.refillOnce().catch((error: unknown) => this.logger.warn({ err: error }, 'warm pool refill failed')),
    { name: WarmPool.name, intervalMs: REFILL_INTERVAL_MS },
  );

  constructor(
    private readonly config: ManagerConfig,
    private readonly docker: DockerRepository,
    private readonly agents: SandboxAgentRepository,
    private readonly loop: LoopFilesystemRepository,
    private readonly templates: TemplatesService,
  ) {}

  private get root(): string {
    return poolDir(this.config.dataDir);
  }

  /** After the boot reconciliation (which removed the unclaimed pooled containers of an earlier run). */
  async start(): Promise<void> {
    if (this.config.warmPool.size === 0) return;
    if (!this.agents.enabled) return void this.logger.warn('WARM_POOL_SIZE is set but there is no sandbox agent: no warm pool');
    try {
      await mkdir(this.root, { recursive: true, mode: 0o711 });
      await this.loop.makeSharedMountPoint(this.root);
      await this.removeUnclaimedSlots();
    } catch (error) {
      return void this.logger.error({ err: error }, 'warm pool unavailable (it needs root and mount propagation): creates take the cold path');
    }
    this.refills.start({ immediately: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.refills.stop();
    const slots = [...this.ready.values()].flat();
    this.ready.clear();
    await Promise.allSettled(slots.map((slot) => this.destroy(slot)));
  }

  /** Ready slots per template (for tests and the health of the pool). */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.ready].map(([template, slots]) => [template, slots.length]));
  }

  /**
   * Claims a pooled sandbox for a new session, or null when none fits (different resources, pool
   * empty or off): the caller then creates one. On success the container runs as the session's, with
   * `workspace` (the session's own) as /workspace; its id is returned.
   */
  async claim(sessionId: string, wanted: { template: string; image: string; cpu: number; memoryMb: number }, workspace: string): Promise<string | null> {
    const slot = this.take(wanted);
    if (!slot) return null;
    this.refills.wake();
    try {
      await writeFile(join(this.slotDir(slot.id), CLAIMED_FILE), sessionId, { mode: 0o600 });
      await this.loop.bind(workspace, slot.mountPoint);
      await this.docker.removeContainer(containerName(sessionId)); // leftover of an interrupted create
      await this.docker.renameContainer(slot.containerId, containerName(sessionId));
      await this.agents.claim(slot.id, sessionId);
      return slot.containerId;
    } catch (error) {
      this.logger.warn({ err: error, sessionId, slot: slot.id }, 'claim of a pooled sandbox failed: creating one');
      await this.destroy(slot);
      return null;
    }
  }

  /** Unmounts and removes the slot a deleted (or recreated) session had claimed, if any; its container is already gone. */
  async releaseSession(sessionId: string): Promise<void> {
    for (const id of await this.slotIds()) {
      const owner = await readFile(join(this.slotDir(id), CLAIMED_FILE), 'utf8').catch(() => null);
      if (owner === sessionId) await this.removeSlotDir(id);
    }
  }

  private take(wanted: { template: string; image: string; cpu: number; memoryMb: number }): Slot | null {
    const slots = this.ready.get(wanted.template) ?? [];
    const index = slots.findIndex((slot) => slot.image === wanted.image && slot.cpu === wanted.cpu && slot.memoryMb === wanted.memoryMb && this.usable(slot));
    if (index < 0) return null;
    return slots.splice(index, 1)[0];
  }

  private usable(slot: Slot): boolean {
    return Date.now() - slot.createdAt < this.config.warmPool.maxAgeMs && this.agents.slotReady(slot.id);
  }

  private async refillOnce(): Promise<void> {
    const wanted = this.pooledTemplates();
    // Slots of templates no longer pooled, too old, with a changed image or a lost agent are replaced.
    for (const [template, slots] of this.ready) {
      const target = wanted.get(template);
      for (const slot of [...slots]) {
        const stale = !target || target.image !== slot.image || !this.usable(slot) || (await this.docker.imageId(slot.image)) !== slot.imageId;
        if (!stale) continue;
        slots.splice(slots.indexOf(slot), 1);
        await this.destroy(slot);
      }
    }
    for (const [template, { image }] of wanted) {
      // One at a time: a create takes most of a core on a small host.
      while (this.refills.active && (this.ready.get(template)?.length ?? 0) < this.config.warmPool.size) {
        const slot = await this.create(template, image);
        if (!slot) break;
        if (!this.refills.active) return void (await this.destroy(slot));
        this.ready.set(template, [...(this.ready.get(template) ?? []), slot]);
      }
    }
  }

  private pooledTemplates(): Map<string, { image: string }> {
    const names = this.config.warmPool.templates;
    const templates = this.templates.list().filter((template) => template.status === TemplateStatus.Ready && (names.length === 0 || names.includes(template.name)));
    return new Map(templates.map((template) => [template.name, { image: template.image }]));
  }

  private async create(template: string, image: string): Promise<Slot | null> {
    const id = randomUUID();
    const mountPoint = join(this.slotDir(id), 'workspace');
    let containerId: string | null = null;
    try {
      const imageId = await this.docker.imageId(image);
      if (!imageId) return null;
      await mkdir(mountPoint, { recursive: true, mode: 0o755 });
      const agent = this.agents.prepareSlot(id)!;
      const cpu = this.config.defaultCpu;
      const memoryMb = this.config.defaultMemoryMb;
      containerId = await this.docker.createContainer(
        pooledContainerSpec({
          slotId: id,
          template,
          image,
          workspaceHostPath: mountPoint,
          cpu,
          memoryMb,
          ...sandboxHostSettings(this.config),
          agent: { ...agent, command: await this.docker.imageCommand(image) },
        }),
      );
      await this.docker.startContainer(containerId);
      if (!(await this.agents.slotConnection(id, AGENT_CONNECT_MS))) throw new Error('its agent did not connect');
      return { id, template, image, imageId, cpu, memoryMb, containerId, mountPoint, createdAt: Date.now() };
    } catch (error) {
      this.logger.warn({ err: error, template }, 'could not add a sandbox to the warm pool');
      if (containerId) await this.docker.removeContainer(containerId).catch(() => undefined);
      this.agents.releaseSlot(id);
      await this.removeSlotDir(id).catch(() => undefined);
      return null;
    }
  }

  private async destroy(slot: Slot): Promise<void> {
    await this.docker.removeContainer(slot.containerId).catch((error: unknown) => this.logger.warn({ err: error, slot: slot.id }, 'could not remove a pooled sandbox'));
    this.agents.releaseSlot(slot.id);
    await this.removeSlotDir(slot.id).catch((error: unknown) => this.logger.warn({ err: error, slot: slot.id }, 'could not remove a pool slot'));
  }

  /** Unmounts the slot's mount point (a claimed session's workspace), then removes the slot directory. */
  private async removeSlotDir(id: string): Promise<void> {
    const dir = this.slotDir(id);
    await this.loop.unmount(join(dir, 'workspace'));
    await rm(dir, { recursive: true, force: true });
  }

  private async removeUnclaimedSlots(): Promise<void> {
    for (const id of await this.slotIds()) {
      const claimed = await lstat(join(this.slotDir(id), CLAIMED_FILE)).then(
        () => true,
        () => false,
      );
      if (!claimed) await this.removeSlotDir(id);
    }
  }

  private async slotIds(): Promise<string[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names.filter((name) => /^[0-9a-f-]{36}$/.test(name));
  }

  private slotDir(id: string): string {
    return join(this.root, id);
  }
}
