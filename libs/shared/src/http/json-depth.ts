import type { IncomingMessage } from 'node:http';

/**
 * Nesting accepted in a JSON request body (arrays and objects, counted together). Real payloads
 * stay far below it (a task payload, GraphQL variables); a body nested thousands of levels deep is
 * only an attack on the recursive code that walks a parsed body (validation, GraphQL variable
 * coercion, logging), which would end in a stack overflow, so it is refused before parsing.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether UTF-8 JSON text nests deeper than `maxDepth`: one pass over the bytes, brackets inside
 * strings ignored (multi-byte UTF-8 sequences never contain ASCII bytes). Malformed text is left
 * to the parser.
 */
export function exceedsJsonDepth(body: Buffer, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** A body parser error (4xx, exposed) with a message of its own, rendered as is by the exception filter. */
export class RequestBodyError extends Error {
  readonly expose = true;

  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export const NESTED_TOO_DEEPLY_MESSAGE = `Request body is nested too deeply (at most ${MAX_JSON_DEPTH} levels)`;

/** body-parser `verify` hook of the JSON parser: UTF-8 only (RFC 8259), nesting bounded by MAX_JSON_DEPTH. */
export function verifyJsonBody(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string): void {
  const charset = encoding.toLowerCase();
  if (charset !== 'utf-8' && charset !== 'utf8') throw new RequestBodyError(415, 'charset.unsupported', 'JSON request bodies must be UTF-8');
  if (exceedsJsonDepth(body)) throw new RequestBodyError(400, 'entity.too.deep', NESTED_TOO_DEEPLY_MESSAGE);
}
