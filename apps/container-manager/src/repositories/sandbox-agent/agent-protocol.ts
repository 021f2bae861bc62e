/**
 * The framed protocol spoken with the in-sandbox agent (sandbox-agent/protocol.go; docs/sandbox-agent.md).
 * Frame: [u32 BE length of the rest][u8 type][u32 BE channel][payload]. Control payloads are JSON,
 * data payloads raw bytes; output frames start with the u64 BE sequence number of their first byte.
 */
export const FrameType = {
  Hello: 1,
  Welcome: 2,
  Ok: 3,
  Err: 4,
  Ping: 5,
  Rekey: 6,
  Start: 10,
  Attach: 11,
  Detach: 12,
  Input: 13,
  CloseInput: 14,
  Signal: 15,
  Resize: 16,
  List: 17,
  Forget: 18,
  File: 20,
  Data: 21,
  Eof: 22,
  Watch: 30,
  Stdout: 40,
  Stderr: 41,
  Exit: 42,
  Event: 43,
} as const;

/** Largest frame either side accepts (the agent sends data in chunks of at most DATA_CHUNK_BYTES). */
export const MAX_FRAME_BYTES = 1024 * 1024 + 64;
export const DATA_CHUNK_BYTES = 256 * 1024;
/** The hello must fit in this (a dialer that sends more before proving itself is cut off). */
export const MAX_HELLO_BYTES = 4096;

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

export class FrameTooLargeError extends Error {
  constructor(size: number, max: number) {
    super(`agent frame of ${size} bytes exceeds the limit of ${max}`);
  }
}

export function encodeFrame(type: number, channel: number, payload: Buffer | object = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const head = Buffer.allocUnsafe(9);
  head.writeUInt32BE(5 + body.length, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(channel >>> 0, 5);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames; throws FrameTooLargeError as soon as a header announces too much. */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private maxFrame = MAX_FRAME_BYTES) {}

  setLimit(maxFrame: number): void {
    this.maxFrame = maxFrame;
  }

  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    let data = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    let offset = 0;
    while (data.length - offset >= 4) {
      const length = data.readUInt32BE(offset);
      if (length < 5 || length > this.maxFrame) throw new FrameTooLargeError(length, this.maxFrame);
      if (data.length - offset < 4 + length) break;
      frames.push({ type: data.readUInt8(offset + 4), channel: data.readUInt32BE(offset + 5), payload: data.subarray(offset + 9, offset + 4 + length) });
      offset += 4 + length;
    }
    data = data.subarray(offset);
    this.buffered = data.length > 0 ? [data] : [];
    this.size = data.length;
    return frames;
  }
}

/** Parses a JSON payload from the agent as an object (anything else counts as a protocol error). */
export function parseObject(payload: Buffer): Record<string, unknown> {
  const value: unknown = JSON.parse(payload.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('agent sent a payload that is not an object');
  return value as Record<string, unknown>;
}

/** Error codes of the agent (the files codes are those of the earlier in-sandbox scripts). */
export const AgentCode = {
  NotFound: 64,
  Outside: 65,
  IsDir: 66,
  NotDir: 67,
  Exists: 68,
  Failed: 69,
  TooLarge: 70,
  Changed: 71,
  NoSpace: 72,
  BadRequest: 80,
  NoProcess: 81,
  Spawn: 82,
  Limit: 83,
} as const;

/** A request the agent refused (an ERR frame): its code and message, both untrusted. */
export class AgentRequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The connection to the agent broke (or was never there) while a request was in flight. */
export class AgentGoneError extends Error {
  constructor(message = 'the sandbox agent connection closed') {
    super(message);
  }
}
