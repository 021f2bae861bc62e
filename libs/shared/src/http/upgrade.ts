import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Takes an upgrade request, or hands it on with `next()` to the handlers that were there before. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, next: () => void) => void;

/**
 * Puts `handler` in front of the server's `upgrade` listeners attached so far (graphql-ws, a proxy):
 * they only see the requests it passes on. Node runs every `upgrade` listener, so a handler in front
 * cannot be added with `on` alone.
 */
export function handleUpgradesFirst(server: Server, handler: UpgradeHandler): void {
  const others = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    handler(req, socket, head, () => {
      for (const listener of others) listener.call(server, req, socket, head);
    }),
  );
}

/** Answers an upgrade request with an HTTP error and a JSON body `{ statusCode, message }`, then closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ statusCode: status, message });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
