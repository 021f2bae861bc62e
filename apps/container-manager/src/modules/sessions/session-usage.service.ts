import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import { SandboxStatus, SessionUsage } from '@sandbox/contracts';
import { METRICS_REGISTRY } from '@sandbox/shared';
import { ManagerConfig } from '../../config/manager-config';
import { ContainerStats, DockerRepository } from '../../repositories/docker.repository';
import { WorkspaceRepository } from '../../repositories/workspace.repository';
import { SessionEvents } from './session-events';
import { SessionRecord } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** A CPU sample of ours is used to compute the next one-shot reading's rate for this long. */
const CPU_SAMPLE_MAX_AGE_MS = 60_000;

interface CpuSample {
  containerId: string;
  cpuTotalNs: number;
  systemCpuNs: number;
  at: number;
}

/** A preview series' count, and how much of it the Prometheus counter already holds. */
interface PreviewCount {
  value: number;
  reported: number;
}

type Metric = 'cpuPercent' | 'memoryBytes' | 'diskBytes' | 'networkRxBytes' | 'networkTxBytes';

/** The CPU use between two readings, in percent of one CPU (docker stats' formula). */
export function cpuPercent(cpuDeltaNs: number, systemDeltaNs: number, onlineCpus: number): number {
  if (cpuDeltaNs <= 0 || systemDeltaNs <= 0) return 0;
  return Math.round((cpuDeltaNs / systemDeltaNs) * onlineCpus * 100 * 100) / 100;
}

/**
 * What each session consumes (docs/lifecycle.md, Usage): cpu, memory and network from Docker's
 * stats of its container, disk from its own filesystem; read on demand, cached for
 * SESSION_USAGE_CACHE_MS, concurrent readers share one read. The same numbers are Prometheus gauges
 * per live (running or paused) session, read when /metrics is scraped, plus the count of preview
 * requests per session and port; a deleted session's series are removed.
 */
@Injectable()
export class SessionUsageService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionUsageService.name);
  private readonly cache = new Map<string, { at: number; usage: Promise<SessionUsage> }>();
  private readonly cpuSamples = new Map<string, CpuSample>();
  /**
   * Preview requests per session and port, counted in plain numbers on the hot path and added to the
   * Prometheus counter when it is collected (a prom-client `inc` hashes and validates its labels each call).
   */
  private readonly previewCounts = new Map<string, Map<number, PreviewCount>>();
  private readonly gauges: Record<Metric, Gauge<'session_id'>>;
  private readonly previewRequests: Counter<'session_id' | 'port'>;
  private scrape: Promise<SessionUsage[]> | undefined;
  private subscription: Subscription | undefined;

  constructor(
    private readonly sessions: SessionsService,
    private readonly docker: DockerRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly events: SessionEvents,
    private readonly config: ManagerConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const gauge = (name: string, help: string, metric: Metric): Gauge<'session_id'> => {
      const collect = async (): Promise<void> => {
        const all = await this.scrapeAll();
        const target = this.gauges[metric];
        target.reset();
        for (const usage of all) {
          const value = usage[metric];
          if (value !== null) target.set({ session_id: usage.sessionId }, value);
        }
      };
      return new Gauge({ name, help, labelNames: ['session_id'], registers: [registry], collect });
    };
    this.gauges = {
      cpuPercent: gauge('sandbox_session_cpu_percent', 'CPU use of a live session in percent of one CPU', 'cpuPercent'),
      memoryBytes: gauge('sandbox_session_memory_bytes', 'Memory in use by a live session (page cache excluded)', 'memoryBytes'),
      diskBytes: gauge('sandbox_session_disk_bytes', "Used bytes of a live session's workspace filesystem (workspace and git history)", 'diskBytes'),
      networkRxBytes: gauge('sandbox_session_network_receive_bytes', "Bytes a live session's sandbox received since it started", 'networkRxBytes'),
      networkTxBytes: gauge('sandbox_session_network_transmit_bytes', "Bytes a live session's sandbox sent since it started", 'networkTxBytes'),
    };
    const previewCounts = this.previewCounts;
    this.previewRequests = new Counter({
      name: 'sandbox_preview_requests_total',
      help: 'Preview requests proxied, per session and port',
      labelNames: ['session_id', 'port'],
      registers: [registry],
      collect() {
        for (const [sessionId, ports] of previewCounts) {
          for (const [port, count] of ports) {
            if (count.value === count.reported) continue;
            this.inc({ session_id: sessionId, port: String(port) }, count.value - count.reported);
            count.reported = count.value;
          }
        }
      },
    });
  }

  onModuleInit(): void {
    this.subscription = this.events.lifecycle$.subscribe((event) => {
      if (event.type === 'deleted') this.forget(event.sessionId);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** The session's usage, at most SESSION_USAGE_CACHE_MS old. */
  usage(sessionId: string): Promise<SessionUsage> {
    const session = this.sessions.get(sessionId);
    const cached = this.cache.get(sessionId);
    if (cached && Date.now() - cached.at < this.config.usageCacheMs) return cached.usage;
    const usage = this.read(session);
    const entry = { at: Date.now(), usage };
    this.cache.set(sessionId, entry);
    usage.catch(() => {
      if (this.cache.get(sessionId) === entry) this.cache.delete(sessionId);
    });
    return usage;
  }

  /** Counts one proxied preview request (the hot path: two map lookups and an increment, no I/O). */
  countPreviewRequest(sessionId: string, port: number): void {
    let ports = this.previewCounts.get(sessionId);
    if (!ports) this.previewCounts.set(sessionId, (ports = new Map<number, PreviewCount>()));
    const count = ports.get(port);
    if (count) count.value++;
    else ports.set(port, { value: 1, reported: 0 });
  }

  private async read(session: SessionRecord): Promise<SessionUsage> {
    const live = (session.status === SandboxStatus.Running || session.status === SandboxStatus.Paused) && session.containerId;
    const [stats, diskBytes] = await Promise.all([live ? this.stats(session.sessionId, session.containerId!) : null, this.workspaces.diskUsage(session.sessionId)]);
    return {
      sessionId: session.sessionId,
      cpuPercent: stats?.cpuPercent ?? 0,
      memoryBytes: stats?.memoryBytes ?? 0,
      diskBytes,
      networkRxBytes: stats?.networkRxBytes ?? 0,
      networkTxBytes: stats?.networkTxBytes ?? 0,
      sampledAt: new Date().toISOString(),
    };
  }

  /**
   * One-shot stats (no wait) when we hold an earlier reading of the same container to compute the
   * CPU rate against; otherwise the daemon's own two readings (about a second).
   */
  private async stats(sessionId: string, containerId: string): Promise<ContainerStats & { cpuPercent: number }> {
    const previous = this.cpuSamples.get(sessionId);
    const usable = previous && previous.containerId === containerId && Date.now() - previous.at < CPU_SAMPLE_MAX_AGE_MS ? previous : undefined;
    const stats = await this.docker.containerStats(containerId, usable !== undefined);
    this.cpuSamples.set(sessionId, { containerId, cpuTotalNs: stats.cpuTotalNs, systemCpuNs: stats.systemCpuNs, at: Date.now() });
    const base = usable ?? (stats.preCpuTotalNs !== null && stats.preSystemCpuNs !== null ? { cpuTotalNs: stats.preCpuTotalNs, systemCpuNs: stats.preSystemCpuNs } : null);
    const percent = base ? cpuPercent(stats.cpuTotalNs - base.cpuTotalNs, stats.systemCpuNs - base.systemCpuNs, stats.onlineCpus) : 0;
    return { ...stats, cpuPercent: percent };
  }

  /** The usage of every live session for one scrape (the five gauges share it). */
  private scrapeAll(): Promise<SessionUsage[]> {
    this.scrape ??= (async () => {
      const live = this.sessions.list().filter((session) => session.status === SandboxStatus.Running || session.status === SandboxStatus.Paused);
      const results = await Promise.allSettled(live.map(async (session) => this.usage(session.sessionId)));
      return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    })()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not read session usage for metrics');
        return [];
      })
      .finally(() => setImmediate(() => (this.scrape = undefined)));
    return this.scrape;
  }

  private forget(sessionId: string): void {
    this.cache.delete(sessionId);
    this.cpuSamples.delete(sessionId);
    for (const gauge of Object.values(this.gauges)) gauge.remove({ session_id: sessionId });
    for (const port of this.previewCounts.get(sessionId)?.keys() ?? []) this.previewRequests.remove({ session_id: sessionId, port: String(port) });
    this.previewCounts.delete(sessionId);
  }
}
