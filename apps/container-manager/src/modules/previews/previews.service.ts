import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { ErrorCode, PREVIEW_PORT_MAX, PREVIEW_PORT_MIN, Preview, PreviewErrors, PreviewList } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';
import { containerName } from '../../common/paths';
import { ManagerConfig } from '../../config/manager-config';
import { DockerRepository, EventWatch } from '../../repositories/docker.repository';
import { SessionEvents } from '../sessions/session-events';
import type { PreviewRequest } from './preview-request';
import { PreviewRecord, PreviewsRepository } from './previews.repository';

/** Where a preview request goes: an address read from Docker for a port read from our table. */
export interface PreviewTarget {
  sessionId: string;
  host: string;
  port: number;
}

export interface PreviewToken {
  sessionId: string;
  port: number;
  token: string;
}

/** How long a container's address is trusted without asking Docker again (events usually beat it). */
const ADDRESS_TTL_MS = 1000;
/**
 * A request in the last part of that second starts the next lookup in the background, so steady traffic
 * never waits for Docker; the address in use is still never older than ADDRESS_TTL_MS.
 */
const REFRESH_AHEAD_MS = 250;

interface CachedAddress {
  expires: number;
  result: Promise<string>;
  /** Set once `result` resolved, so the proxy can use it synchronously. */
  address?: string;
  /** A background lookup to replace this entry is under way. */
  refreshing?: boolean;
}

export const PreviewAuthErrors = {
  tokenRequired: 'A valid preview token is required',
} as const;

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * Preview registrations and target resolution. A target is the registered port of the session's
 * current container: the container is looked up by name, must carry the session's label and run, and
 * its address on the sandbox network is cached briefly and dropped on any Docker lifecycle event.
 */
@Injectable()
export class PreviewsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PreviewsService.name);
  /** Registrations by session, most recent first; mirrors the table so the proxy path never waits on I/O. */
  private readonly registrations = new Map<string, PreviewRecord[]>();
  private readonly addresses = new Map<string, CachedAddress>();
  private readonly previewDomain: string;
  private readonly publicPort: number;
  private lifecycle: Subscription | undefined;
  private containerEvents: EventWatch | undefined;

  constructor(
    private readonly previews: PreviewsRepository,
    private readonly docker: DockerRepository,
    private readonly events: SessionEvents,
    config: ManagerConfig,
  ) {
    this.previewDomain = config.previewDomain;
    this.publicPort = config.previewPublicPort;
  }

  onModuleInit(): void {
    for (const record of this.previews.listAll()) {
      const list = this.registrations.get(record.sessionId) ?? [];
      list.push(record);
      this.registrations.set(record.sessionId, list);
    }
    // Any lifecycle change of a sandbox drops its cached address; after a gap in the events, all of them.
    // Every managed sandbox, like the lookup: a container is matched by its name and session label.
    this.containerEvents = this.docker.watchContainerEvents(
      ['start', 'die', 'stop', 'destroy', 'restart'],
      (event) => {
        if (event.sessionId) this.addresses.delete(event.sessionId);
      },
      () => this.addresses.clear(),
      { anyManager: true },
    );
    this.lifecycle = this.events.lifecycle$.subscribe((event) => {
      if (event.type === 'stopped' || event.type === 'deleted') this.dropSession(event.sessionId);
      if (event.type === 'started') this.addresses.delete(event.sessionId);
    });
  }

  onModuleDestroy(): void {
    this.lifecycle?.unsubscribe();
    this.containerEvents?.close();
  }

  get domain(): string {
    return this.previewDomain;
  }

  async register(sessionId: string, port: unknown): Promise<Preview> {
    const valid = validatePort(port);
    await this.resolveAddress(sessionId, true);
    const record = this.previews.upsert(sessionId, valid, Date.now());
    this.refresh(sessionId);
    this.logger.log({ sessionId, port: valid }, 'preview registered');
    return this.toPreview(record);
  }

  list(sessionId: string): PreviewList {
    return { sessionId, previews: (this.registrations.get(sessionId) ?? []).map((record) => this.toPreview(record)) };
  }

  unregister(sessionId: string, port: number): { sessionId: string; port: number; registered: false } {
    if (!this.previews.delete(sessionId, validatePort(port))) throw DomainException.notFound(PreviewErrors.noPort(sessionId));
    this.refresh(sessionId);
    return { sessionId, port, registered: false };
  }

  /** Makes the port private and issues a new token; any earlier token stops working. */
  issueToken(sessionId: string, port: number): PreviewToken {
    const token = randomBytes(32).toString('base64url');
    if (!this.previews.setToken(sessionId, validatePort(port), sha256(token))) throw DomainException.notFound(PreviewErrors.noPort(sessionId));
    this.refresh(sessionId);
    return { sessionId, port, token };
  }

  /** Revokes the token; the port stays private (401 for everyone) until a new token is issued. */
  revokeToken(sessionId: string, port: number): { sessionId: string; port: number; revoked: true } {
    if (!this.previews.setToken(sessionId, validatePort(port), null)) throw DomainException.notFound(PreviewErrors.noPort(sessionId));
    this.refresh(sessionId);
    return { sessionId, port, revoked: true };
  }

  /** Makes the port public again: its token stops working and anyone may open it. */
  makePublic(sessionId: string, port: number): { sessionId: string; port: number; private: false } {
    if (!this.previews.makePublic(sessionId, validatePort(port))) throw DomainException.notFound(PreviewErrors.noPort(sessionId));
    this.refresh(sessionId);
    return { sessionId, port, private: false };
  }

  /** The registration a request addresses: the named port (host form) or the most recent one. 404 otherwise. */
  registrationFor(request: Pick<PreviewRequest, 'sessionId' | 'port'>): PreviewRecord {
    const list = this.registrations.get(request.sessionId);
    const record = request.port === undefined ? list?.[0] : list?.find((candidate) => candidate.port === request.port);
    if (!record) throw DomainException.notFound(PreviewErrors.noPort(request.sessionId));
    return record;
  }

  /** True when the port is public or `token` is its current token (constant-time comparison). */
  allows(record: PreviewRecord, token: string | undefined): boolean {
    if (!record.private) return true;
    if (!record.tokenHash || !token) return false;
    return timingSafeEqual(Buffer.from(sha256(token), 'hex'), Buffer.from(record.tokenHash, 'hex'));
  }

  async target(record: PreviewRecord): Promise<PreviewTarget> {
    return { sessionId: record.sessionId, host: await this.resolveAddress(record.sessionId, false), port: record.port };
  }

  /** The target without waiting, when the container's address is cached and fresh (the hot path). */
  cachedTarget(record: PreviewRecord): PreviewTarget | undefined {
    const cached = this.addresses.get(record.sessionId);
    if (!cached?.address) return undefined;
    const left = cached.expires - Date.now();
    if (left <= 0) return undefined;
    if (left < REFRESH_AHEAD_MS && !cached.refreshing) this.refreshAhead(record.sessionId, cached);
    return { sessionId: record.sessionId, host: cached.address, port: record.port };
  }

  /** Forgets a cached address, e.g. after a connection to it failed. */
  invalidate(sessionId: string): void {
    this.addresses.delete(sessionId);
  }

  dropSession(sessionId: string): void {
    const dropped = this.previews.deleteSession(sessionId);
    this.registrations.delete(sessionId);
    this.addresses.delete(sessionId);
    if (dropped > 0) this.logger.log({ sessionId, dropped }, 'preview registrations dropped');
  }

  private resolveAddress(sessionId: string, fresh: boolean): Promise<string> {
    const now = Date.now();
    const cached = this.addresses.get(sessionId);
    if (!fresh && cached && cached.expires > now) return cached.result;
    const result = this.lookup(sessionId);
    const entry: CachedAddress = { expires: now + ADDRESS_TTL_MS, result };
    this.addresses.set(sessionId, entry);
    result.then(
      (address) => {
        entry.address = address;
      },
      // Failures are not cached: the next request asks Docker again.
      () => {
        if (this.addresses.get(sessionId) === entry) this.addresses.delete(sessionId);
      },
    );
    return result;
  }

  /**
   * Replaces a still-valid entry with a fresh lookup without making requests wait. The result is only
   * installed if the entry was not dropped meanwhile (a Docker event or a connect failure wins); a
   * failed lookup leaves the entry to expire, and the next request asks Docker and reports the error.
   */
  private refreshAhead(sessionId: string, current: CachedAddress): void {
    current.refreshing = true;
    const now = Date.now();
    const result = this.lookup(sessionId);
    result.then(
      (address) => {
        if (this.addresses.get(sessionId) === current) this.addresses.set(sessionId, { expires: now + ADDRESS_TTL_MS, result, address });
      },
      () => undefined,
    );
  }

  /** The session's container is read from Docker (by its name), never from a request. */
  private async lookup(sessionId: string): Promise<string> {
    let found;
    try {
      found = await this.docker.inspectContainer(containerName(sessionId));
    } catch (error) {
      this.logger.warn({ err: error, sessionId }, 'container inspect failed');
      throw internal(PreviewErrors.containerNotFound(sessionId, 'Docker engine unavailable'));
    }
    if (!found) throw internal(PreviewErrors.containerNotFound(sessionId, 'no such container'));
    // A container by that name that is not this session's (a recycled name) never serves its traffic.
    if (found.sessionId !== sessionId) throw internal(PreviewErrors.containerNotFound(sessionId, 'container belongs to another session'));
    if (!found.running) throw internal(PreviewErrors.containerNotRunning(sessionId));
    if (!found.ipAddress) throw internal(PreviewErrors.noContainerIp(sessionId));
    return found.ipAddress;
  }

  private refresh(sessionId: string): void {
    const list = this.previews.listBySession(sessionId);
    if (list.length > 0) this.registrations.set(sessionId, list);
    else this.registrations.delete(sessionId);
  }

  private toPreview(record: PreviewRecord): Preview {
    return { sessionId: record.sessionId, port: record.port, registered: true, url: this.publicUrl(record.sessionId, record.port), private: record.private };
  }

  private publicUrl(sessionId: string, port: number): string {
    const portSuffix = this.publicPort === 80 ? '' : `:${this.publicPort}`;
    return `http://${port}-${sessionId}.${this.previewDomain}${portSuffix}/`;
  }
}

function internal(message: string): DomainException {
  return new DomainException(ErrorCode.Internal, message);
}

/** The exact messages of docs/api.md, Preview errors: a missing port and a bad one are told apart. */
export function validatePort(port: unknown): number {
  if (port === undefined || port === null) throw DomainException.badRequest(PreviewErrors.missingPort);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < PREVIEW_PORT_MIN || port > PREVIEW_PORT_MAX) {
    throw DomainException.badRequest(PreviewErrors.invalidPort);
  }
  return port;
}
