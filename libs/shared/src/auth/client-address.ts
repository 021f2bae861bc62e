import { normalizeIp } from '@nestjs/throttler';
import type { IncomingMessage } from 'node:http';

/**
 * The address failed authentications are counted against: the peer address (`trust proxy` is off),
 * IPv6 grouped by /64 like the throttler does, since one host usually holds a whole /64.
 */
export function clientAddress(request: IncomingMessage | undefined): string {
  const address = (request as { ip?: string } | undefined)?.ip ?? request?.socket?.remoteAddress;
  return address ? normalizeIp(address) : 'unknown';
}
