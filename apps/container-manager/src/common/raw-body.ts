import type { Request } from 'express';
import { ErrorCode } from '@sandbox/contracts';
import { DomainException } from '@sandbox/shared';

/** Collects a request body, refusing (413) as soon as it is announced or grows beyond `max`; `what` names it in the 400 for a parsed (JSON/form) body. */
export async function readRawBody(req: Request, tooLarge: () => DomainException, max: number, what: string): Promise<Buffer> {
  if (req.readableEnded || (req as Request & { _body?: boolean })._body) {
    throw new DomainException(ErrorCode.BadRequest, `Send ${what} as a raw body (application/octet-stream)`);
  }
  const announced = Number(req.headers['content-length'] ?? NaN);
  if (announced > max) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
