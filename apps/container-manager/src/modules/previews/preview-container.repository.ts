import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { MANAGED_LABEL, containerName, sessionOfContainer } from '../../common/paths';

/** What the proxy needs to know about a session's container, read from Docker, never from a request. */
export type ContainerLookup =
  | { kind: 'found'; containerId: string; running: boolean; ip: string | null; sessionLabel: string | null }
  | { kind: 'missing'; cause: string };

/** Builds dockerode's connection options from `DOCKER_HOST` (unix:// or tcp://). */
export function dockerOptions(dockerHost: string): Docker.DockerOptions {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

/**
 * Reads the sandbox container of a session through the Docker Engine API and reports container
 * lifecycle changes, so cached addresses are dropped as soon as a container stops or restarts.
 */
@Injectable()
export class PreviewContainerRepository implements OnModuleDestroy {
  private readonly logger = new Logger(PreviewContainerRepository.name);
  private readonly docker: Docker;
  private readonly network: string;
  private events: Readable | undefined;
  private closed = false;

  constructor(config: ConfigService) {
    this.docker = new Docker(dockerOptions(config.getOrThrow<string>('DOCKER_HOST')));
    this.network = config.getOrThrow<string>('SANDBOX_NETWORK');
  }

  async inspect(sessionId: string): Promise<ContainerLookup> {
    try {
      const info = await this.docker.getContainer(containerName(sessionId)).inspect();
      const ip = info.NetworkSettings?.Networks?.[this.network]?.IPAddress;
      return {
        kind: 'found',
        containerId: info.Id,
        running: info.State?.Running === true,
        ip: ip ? ip : null,
        sessionLabel: sessionOfContainer(info.Config?.Labels, info.Name),
      };
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) return { kind: 'missing', cause: 'no such container' };
      this.logger.warn({ err: error, sessionId }, 'container inspect failed');
      return { kind: 'missing', cause: 'Docker engine unavailable' };
    }
  }

  /**
   * Calls `onChange(sessionId)` whenever a managed sandbox starts, stops, dies, restarts or is removed.
   * Reconnects with a delay if the event stream breaks.
   */
  watch(onChange: (sessionId: string) => void): void {
    if (this.closed) return;
    const filters: Docker.GetEventsOptions['filters'] = { type: ['container'], label: [`${MANAGED_LABEL}=true`], event: ['start', 'die', 'stop', 'destroy', 'restart'] };
    const retry = () => {
      this.events = undefined;
      if (!this.closed) setTimeout(() => this.watch(onChange), 1000).unref();
    };
    this.docker.getEvents({ filters }).then(
      (stream) => {
        const events = stream as Readable;
        this.events = events;
        let buffered = '';
        events.setEncoding('utf8');
        events.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            const sessionId = sessionOfEvent(line);
            if (sessionId) onChange(sessionId);
          }
        });
        events.on('error', () => undefined);
        events.on('close', retry);
      },
      (error: unknown) => {
        this.logger.warn({ err: error }, 'cannot watch Docker events; retrying');
        retry();
      },
    );
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.events?.destroy();
  }
}

function sessionOfEvent(line: string): string | null {
  try {
    const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    return sessionOfContainer(event.Actor?.Attributes, event.Actor?.Attributes?.name);
  } catch {
    return null;
  }
}
