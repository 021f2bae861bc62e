import { Agent, Dispatcher, errors as undiciErrors } from 'undici';
import { ErrorCode, INTERNAL_KEY_HEADER, REQUEST_ID_HEADER } from '@sandbox/contracts';
import { currentRequestId } from '@sandbox/shared';
import {
  ServiceBadRequestError,
  ServiceClientError,
  ServiceConflictError,
  ServiceForbiddenError,
  ServiceNotFoundError,
  ServicePayloadTooLargeError,
  ServiceServerError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from './client-errors';

export interface ServiceClientOptions {
  baseUrl: string;
  /** The first key is sent; others are accepted by servers during rotation. */
  internalKey: string;
  timeoutMs?: number;
  /** Message used when the service cannot be reached at all. */
  unavailableMessage?: string;
  dispatcher?: Dispatcher;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** JSON-encoded unless it is a Buffer (sent as application/octet-stream). */
  body?: unknown;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Aborting it drops the request (and its connection): the server sees its caller go away. */
  signal?: AbortSignal;
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * Base of every typed service client: keep-alive pool, internal key and request id headers, timeouts
 * and one mapping of failures to typed errors.
 */
export class ServiceHttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly baseUrl: URL;
  private readonly timeoutMs: number;
  private readonly internalKey: string;

  constructor(
    readonly serviceName: string,
    private readonly options: ServiceClientOptions,
  ) {
    this.baseUrl = new URL(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.internalKey = options.internalKey.split(',')[0]?.trim() ?? '';
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  }

  async close(): Promise<void> {
    if (!this.options.dispatcher) await this.dispatcher.close();
  }

  protected get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  protected post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  protected put<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  protected delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /** Sends a request and returns the parsed JSON body (or the raw bytes for non-JSON answers). */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const { statusCode, body } = await this.send(method, path, options);
    const contentType = String(body.headers['content-type'] ?? '');
    const raw = Buffer.from(await body.body.arrayBuffer());
    const parsed: unknown = contentType.includes('json') && raw.length > 0 ? safeJson(raw) : raw;
    if (statusCode >= 200 && statusCode < 300) return parsed as T;
    throw this.errorFor(statusCode, parsed);
  }

  /** Sends a request and hands back the response stream untouched (2xx only). */
  async stream(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
    const { statusCode, body } = await this.send(method, path, options);
    if (statusCode >= 200 && statusCode < 300) return body;
    const raw = Buffer.from(await body.body.arrayBuffer());
    throw this.errorFor(statusCode, String(body.headers['content-type']).includes('json') ? safeJson(raw) : raw.toString());
  }

  /**
   * Where and with which headers to open a WebSocket on the service (`ws:`/`wss:` URL, the internal
   * key and the request id), for routes a request/response client cannot serve.
   */
  protected socketTarget(path: string, query: Record<string, QueryValue> = {}): { url: string; headers: Record<string, string> } {
    const url = new URL(path, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { [INTERNAL_KEY_HEADER]: this.internalKey };
    const requestId = currentRequestId();
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    return { url: url.toString(), headers };
  }

  private async send(method: HttpMethod, path: string, options: RequestOptions): Promise<{ statusCode: number; body: Dispatcher.ResponseData }> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { [INTERNAL_KEY_HEADER]: this.internalKey, accept: 'application/json', ...options.headers };
    const requestId = currentRequestId();
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    let payload: Buffer | string | undefined;
    if (Buffer.isBuffer(options.body)) {
      payload = options.body;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = options.timeoutMs ?? this.timeoutMs;
    try {
      const body = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        body: payload,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: options.signal,
      });
      return { statusCode: body.statusCode, body };
    } catch (error) {
      throw this.transportError(error);
    }
  }

  private transportError(error: unknown): ServiceClientError {
    if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || error instanceof undiciErrors.ConnectTimeoutError) {
      return new ServiceTimeoutError(ErrorCode.Timeout, `${this.serviceName} did not answer in time`, this.serviceName, null, null, { cause: error });
    }
    const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    if (code && CONNECTION_ERROR_CODES.has(code)) {
      return new ServiceUnavailableError(ErrorCode.ServiceUnavailable, this.options.unavailableMessage ?? `${this.serviceName} is unavailable`, this.serviceName, null, null, { cause: error });
    }
    return new ServiceUnavailableError(ErrorCode.ServiceUnavailable, this.options.unavailableMessage ?? `${this.serviceName} is unavailable`, this.serviceName, null, null, { cause: error });
  }

  private errorFor(status: number, body: unknown): ServiceClientError {
    const message = messageOf(body) ?? `${this.serviceName} answered ${status}`;
    const args = [message, this.serviceName, status, body] as const;
    switch (true) {
      case status === 400 || status === 422:
        return new ServiceBadRequestError(ErrorCode.BadRequest, ...args);
      case status === 401 || status === 403:
        return new ServiceForbiddenError(ErrorCode.Forbidden, ...args);
      case status === 404:
        return new ServiceNotFoundError(ErrorCode.NotFound, ...args);
      case status === 409:
        return new ServiceConflictError(ErrorCode.Conflict, ...args);
      case status === 413:
        return new ServicePayloadTooLargeError(ErrorCode.PayloadTooLarge, ...args);
      case status >= 500:
        return new ServiceServerError(status === 503 ? ErrorCode.ServiceUnavailable : ErrorCode.BadGateway, ...args);
      default:
        return new ServiceClientError(ErrorCode.BadRequest, ...args);
    }
  }
}

function safeJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.toString('utf8');
  }
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string' && body.length > 0) return body.slice(0, 500);
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body).message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string') return message;
  }
  return undefined;
}
