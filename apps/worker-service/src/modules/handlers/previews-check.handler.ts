import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ContainerManagerClient } from '@sandbox/clients';
import { IsSessionId, TaskType } from '@sandbox/contracts';
import { WorkerConfig } from '../../config/worker-config';
import { HttpProbeRepository } from './http-probe.repository';
import { callManager } from './manager-errors';
import { TaskContext, ValidatedTaskHandler } from './task-handler';

export class PreviewsCheckPayload {
  @IsSessionId()
  sessionId!: string;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  timeoutMs?: number;
}

export interface PreviewPortStatus {
  port: number;
  url: string;
  /** The preview server answered at all. */
  reachable: boolean;
  /** It answered with a status below 500. */
  healthy: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface PreviewsCheckResult {
  sessionId: string;
  checkedAt: string;
  healthy: boolean;
  previews: PreviewPortStatus[];
}

/** Probes each preview port a session registered and stores the status per port. Read-only, so redelivery is harmless. */
@Injectable()
export class PreviewsCheckHandler extends ValidatedTaskHandler<PreviewsCheckPayload> {
  constructor(
    private readonly manager: ContainerManagerClient,
    private readonly probe: HttpProbeRepository,
    private readonly config: WorkerConfig,
  ) {
    super(TaskType.PreviewsCheck, PreviewsCheckPayload);
  }

  async run(payload: PreviewsCheckPayload, context: TaskContext): Promise<PreviewsCheckResult> {
    const timeoutMs = payload.timeoutMs ?? this.config.previewProbeTimeoutMs;
    const { previews } = await callManager('list previews', () => this.manager.listPreviews(payload.sessionId));
    const statuses = await Promise.all(
      previews.map(async (preview): Promise<PreviewPortStatus> => {
        const probe = await this.probe.get(preview.url, timeoutMs, context.signal);
        return { port: preview.port, url: preview.url, ...probe, healthy: probe.statusCode !== null && probe.statusCode < 500 };
      }),
    );
    for (const status of statuses) {
      await context.log(`port ${status.port}: ${status.healthy ? `healthy (${status.statusCode})` : `unhealthy (${status.error ?? status.statusCode})`}`, status);
    }
    return { sessionId: payload.sessionId, checkedAt: new Date().toISOString(), healthy: statuses.every((s) => s.healthy), previews: statuses.sort((a, b) => a.port - b.port) };
  }
}
