import type { Duplex } from 'node:stream';
import { AgentGoneError, AgentRequestError, DATA_CHUNK_BYTES, encodeFrame, Frame, FrameDecoder, FrameType, parseObject } from './agent-protocol';

export type FrameHandler = (frame: Frame) => void;

/** A request whose replies and stream frames arrive on its own channel until it is closed. */
export interface AgentChannel {
  readonly id: number;
  send(type: number, payload?: Buffer | object): void;
  close(): void;
}

/** A running stream (attach, watch): its OK answer, and `stop()` to end it (DETACH). */
export interface AgentStream {
  ready: Promise<Record<string, unknown>>;
  /** Settles when the agent ends the stream, the connection closes, or stop() is called. */
  ended: Promise<void>;
  stop(): void;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/**
 * One authenticated connection to a sandbox's agent (its unix socket), or to a git host (its stdio,
 * modules/git/git-host.ts): many requests at once, each on its own channel. Everything the agent
 * sends is untrusted: frame size is bounded by the decoder, payloads are parsed defensively by the
 * callers, every call has a deadline, and a protocol violation ends the connection (the agent re-dials).
 */
export class AgentConnection {
  private readonly channels = new Map<number, FrameHandler>();
  private readonly decoder = new FrameDecoder();
  private readonly closeHandlers = new Set<() => void>();
  private nextChannel = 1;
  private open = true;

  constructor(
    private readonly socket: Duplex,
    /** The session it serves (changes once: when a pooled sandbox is claimed). */
    public sessionId: string,
    readonly version: string,
    onViolation: (reason: string) => void,
    initial: Buffer,
  ) {
    const onData = (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (error) {
        onViolation(error instanceof Error ? error.message : String(error));
        this.close();
        return;
      }
      for (const frame of frames) this.channels.get(frame.channel)?.(frame);
    };
    socket.on('data', onData);
    socket.once('close', () => this.closed());
    socket.on('error', () => this.close());
    if (initial.length > 0) onData(initial);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Runs `fn` once the connection is gone (at once if it already is); returns an unsubscribe. */
  onClose(fn: () => void): () => void {
    if (!this.open) {
      fn();
      return () => undefined;
    }
    this.closeHandlers.add(fn);
    return () => this.closeHandlers.delete(fn);
  }

  close(): void {
    this.socket.destroy();
    this.closed();
  }

  channel(handler: FrameHandler): AgentChannel {
    if (!this.open) throw new AgentGoneError();
    let id = this.nextChannel;
    while (this.channels.has(id) || id === 0) id = (id % 0xffff_ffff) + 1;
    this.nextChannel = (id % 0xffff_ffff) + 1;
    this.channels.set(id, handler);
    return {
      id,
      send: (type, payload) => this.write(type, id, payload),
      close: () => this.channels.delete(id),
    };
  }

  write(type: number, channel: number, payload?: Buffer | object): void {
    if (!this.open) throw new AgentGoneError();
    this.socket.write(encodeFrame(type, channel, payload));
  }

  /**
   * One request → one answer (OK or ERR). `onFrame` sees the other frames of the channel before
   * the answer (data of a read). Rejects on ERR (AgentRequestError), a closed connection
   * (AgentGoneError) or the deadline.
   */
  call(type: number, payload: Buffer | object, options: { timeoutMs?: number; onFrame?: FrameHandler; after?: (channel: AgentChannel) => void } = {}): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let channel: AgentChannel | undefined;
      const finish = (error: Error | null, value?: Record<string, unknown>) => {
        clearTimeout(timer);
        unsubscribe();
        channel?.close();
        if (error) reject(error);
        else resolve(value!);
      };
      const timer = setTimeout(() => finish(new AgentGoneError(`the sandbox agent did not answer within ${options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS} ms`)), options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
      const unsubscribe = this.onClose(() => finish(new AgentGoneError()));
      if (!this.open) return;
      try {
        channel = this.channel((frame) => {
          try {
            if (frame.type === FrameType.Ok) finish(null, parseObject(frame.payload));
            else if (frame.type === FrameType.Err) finish(agentError(frame.payload));
            else options.onFrame?.(frame);
          } catch (error) {
            finish(error instanceof Error ? error : new Error(String(error)));
          }
        });
        channel.send(type, payload);
        options.after?.(channel);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * A request whose OK opens a stream of frames on its channel (attach, watch). `onFrame` gets
   * every frame after the OK; `isEnd` says which one ends the stream.
   */
  stream(type: number, payload: object, onFrame: FrameHandler, isEnd: (frame: Frame) => boolean, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): AgentStream {
    let endStream!: () => void;
    const ended = new Promise<void>((resolve) => (endStream = resolve));
    let answered = false;
    let resolveReady!: (value: Record<string, unknown>) => void;
    let rejectReady!: (error: Error) => void;
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => ((resolveReady = resolve), (rejectReady = reject)));
    ready.catch(() => undefined);
    let channel: AgentChannel | undefined;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      channel?.close();
      if (!answered) rejectReady(error ?? new AgentGoneError());
      endStream();
    };
    const timer = setTimeout(() => {
      if (!answered) finish(new AgentGoneError(`the sandbox agent did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = this.onClose(() => finish(new AgentGoneError()));
    try {
      channel = this.channel((frame) => {
        try {
          if (!answered) {
            if (frame.type === FrameType.Err) return finish(agentError(frame.payload));
            if (frame.type !== FrameType.Ok) return finish(new Error(`agent sent frame ${frame.type} before answering`));
            answered = true;
            clearTimeout(timer);
            resolveReady(parseObject(frame.payload));
            return;
          }
          onFrame(frame);
          if (isEnd(frame)) finish();
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      });
      channel.send(type, payload);
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)));
    }
    return {
      ready,
      ended,
      stop: () => {
        if (done) return;
        if (this.open && channel) this.write(FrameType.Detach, channel.id);
        finish();
      },
    };
  }

  /** Sends bytes as data frames of at most DATA_CHUNK_BYTES, with a prefix on each (stdin's process name). */
  sendChunks(channel: AgentChannel, type: number, data: Buffer, prefix = Buffer.alloc(0)): void {
    for (let offset = 0; offset < data.length; offset += DATA_CHUNK_BYTES) {
      channel.send(type, Buffer.concat([prefix, data.subarray(offset, offset + DATA_CHUNK_BYTES)]));
    }
  }

  private closed(): void {
    if (!this.open) return;
    this.open = false;
    this.channels.clear();
    for (const fn of [...this.closeHandlers]) fn();
    this.closeHandlers.clear();
  }
}

function agentError(payload: Buffer): AgentRequestError {
  const body = parseObject(payload);
  const code = typeof body.code === 'number' ? body.code : -1;
  const message = typeof body.message === 'string' ? body.message.slice(0, 500) : 'the sandbox agent refused the request';
  return new AgentRequestError(code, message);
}
