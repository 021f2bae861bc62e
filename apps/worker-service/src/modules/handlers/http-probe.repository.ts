import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { lookup, LookupAddress, LookupOneOptions } from 'node:dns';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export interface ProbeResult {
  reachable: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `*.localhost` is loopback by definition (RFC 6761), which is how preview host names look in
 * development (`3000-<id>.preview.localhost`); the system resolver does not always know that.
 */
function loopbackAwareLookup(hostname: string, options: LookupOneOptions, callback: LookupCallback): void {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if ((options as { all?: boolean }).all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  lookup(hostname, options, callback);
}

/** HTTP GETs with a short timeout, for health probes of preview servers. */
@Injectable()
export class HttpProbeRepository implements OnApplicationShutdown {
  private readonly agent = new Agent({ connect: { lookup: loopbackAwareLookup as never }, keepAliveTimeout: 1_000, connections: 16 });

  async get(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump({ limit: 64 * 1024 });
      return { reachable: true, statusCode: response.statusCode, latencyMs: Math.round(performance.now() - started), error: null };
    } catch (error) {
      const message = timeout.aborted ? `no answer within ${timeoutMs} ms` : error instanceof Error ? (((error.cause as Error | undefined)?.message ?? error.message) || error.name) : String(error);
      return { reachable: false, statusCode: null, latencyMs: Math.round(performance.now() - started), error: message };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}
