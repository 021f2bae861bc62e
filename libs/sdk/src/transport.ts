import { createClient, type Client as WsClient } from 'graphql-ws';
import { errorFor, type GraphQLErrorEntry, NetworkError, RateLimitError, SandboxError } from './errors.js';

/** A generated operation: its text, with its result and variables types attached (see src/generated). */
export interface TypedDocument<TResult, TVariables> {
  toString(): string;
  /** Phantom: only carries the types. */
  __apiType?: (variables: TVariables) => TResult;
}

export interface TransportOptions {
  apiUrl: string;
  apiKey: string;
  fetch?: typeof globalThis.fetch;
  /** A WebSocket constructor for subscriptions, where the runtime has none (Node 20: `import WebSocket from 'ws'`). */
  webSocketImpl?: unknown;
  /** Extra headers on every HTTP request. */
  headers?: Record<string, string>;
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: GraphQLErrorEntry[];
}

/** GraphQL over HTTP (`fetch`) and graphql-ws for subscriptions, with the API key on both. */
export class GraphQLTransport {
  private readonly endpoint: string;
  private readonly fetchImpl: typeof globalThis.fetch;
  private ws?: WsClient;

  constructor(private readonly options: TransportOptions) {
    this.endpoint = `${options.apiUrl.replace(/\/+$/, '')}/graphql`;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl) throw new SandboxError('No fetch implementation: pass { fetch } (Node 18+ and browsers have one)', 'CONFIGURATION');
    this.fetchImpl = fetchImpl.bind(globalThis);
  }

  async request<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables, signal?: AbortSignal): Promise<TResult> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers: {
          ...this.options.headers,
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${this.options.apiKey}`,
        },
        body: JSON.stringify({ query: document.toString(), variables }),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new NetworkError(`Cannot reach the platform at ${this.options.apiUrl}: ${reasonOf(error)}`, 'NETWORK_ERROR', undefined, [], { cause: error });
    }
    const text = await response.text();
    let answer: GraphQLAnswer<TResult>;
    try {
      answer = JSON.parse(text) as GraphQLAnswer<TResult>;
    } catch {
      throw errorFor(`HTTP ${response.status} from ${this.endpoint}: ${text.slice(0, 200) || response.statusText}`, undefined, response.status);
    }
    if (answer.errors?.length) {
      const [first] = answer.errors;
      const error = errorFor(first.message, first.extensions?.code, first.extensions?.status ?? (response.ok ? undefined : response.status), answer.errors);
      if (error instanceof RateLimitError) {
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter)) error.retryAfterSeconds = retryAfter;
      }
      throw error;
    }
    if (!response.ok || answer.data == null) throw errorFor(`HTTP ${response.status} without data`, undefined, response.status);
    return answer.data;
  }

  /** The results of a subscription, one `data` per event; ends when the server completes it. */
  async *subscribe<TResult, TVariables>(document: TypedDocument<TResult, TVariables>, variables: TVariables): AsyncGenerator<TResult, void, undefined> {
    const iterator = this.wsClient().iterate<TResult>({ query: document.toString(), variables: variables as Record<string, unknown> });
    try {
      while (true) {
        let next: IteratorResult<{ data?: TResult | null; errors?: readonly GraphQLErrorEntry[] }>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw subscriptionError(error);
        }
        if (next.done) return;
        const { data, errors } = next.value;
        if (errors?.length) throw errorFor(errors[0].message, errors[0].extensions?.code, errors[0].extensions?.status, errors);
        if (data != null) yield data;
      }
    } finally {
      await iterator.return?.();
    }
  }

  /** Closes the subscription socket, if one was opened. */
  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    await ws?.dispose();
  }

  private wsClient(): WsClient {
    if (this.ws) return this.ws;
    const webSocketImpl = this.options.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!webSocketImpl) {
      throw new SandboxError("No WebSocket implementation for subscriptions: pass { webSocketImpl } (on Node 20: import WebSocket from 'ws')", 'CONFIGURATION');
    }
    this.ws = createClient({
      url: this.endpoint.replace(/^http/, 'ws'),
      webSocketImpl,
      connectionParams: { authorization: `Bearer ${this.options.apiKey}` },
      lazy: true,
      retryAttempts: 3,
      // A refused key (4403) stays refused: report it at once instead of reconnecting with the same key.
      shouldRetry: (event) => !(typeof (event as { code?: unknown })?.code === 'number' && [4401, 4403, 4429].includes((event as { code: number }).code)),
    });
    return this.ws;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/** graphql-ws rejects with GraphQL errors, an Error, or the socket's close event. */
function subscriptionError(error: unknown): SandboxError {
  if (error instanceof SandboxError) return error;
  if (Array.isArray(error) && error.length > 0) {
    const first = error[0] as GraphQLErrorEntry;
    return errorFor(first.message, first.extensions?.code, first.extensions?.status, error as GraphQLErrorEntry[]);
  }
  const close = error as { code?: unknown; reason?: unknown };
  if (typeof close?.code === 'number') {
    const reason = typeof close.reason === 'string' && close.reason ? close.reason : 'connection closed';
    if (close.code === 4403 || close.code === 4401) return errorFor(`Subscription refused: ${reason}`, 'UNAUTHENTICATED', 401);
    if (close.code === 4429) return errorFor(`Subscription refused: ${reason}`, 'RATE_LIMITED', 429);
    return new NetworkError(`Subscription closed (${close.code}): ${reason}`, 'NETWORK_ERROR');
  }
  return new NetworkError(`Subscription failed: ${reasonOf(error)}`, 'NETWORK_ERROR', undefined, [], { cause: error });
}
