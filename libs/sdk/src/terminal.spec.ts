import { createServer, type Server, type Socket } from 'node:net';
import WebSocket from 'ws';
import { SandboxError, TimeoutError } from './errors.js';
import { Terminal } from './terminal.js';

/** A TCP server that takes connections and never answers the WebSocket upgrade (a hung gateway or manager). */
function silentServer(): Promise<{ server: Server; url: string; sockets: Socket[]; closed: Promise<void> }> {
  const sockets: Socket[] = [];
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.resume(); // reads the request (and so sees its end), answers nothing
    socket.on('close', onClosed);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}`, sockets, closed });
    }),
  );
}

describe('Terminal.connect', () => {
  it('should give up with a TimeoutError and hang up when the upgrade is never answered', async () => {
    const { server, url, sockets, closed } = await silentServer();
    try {
      const error = await Terminal.connect('/terminal?ticket=t', url, WebSocket, 200).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as SandboxError).code).toBe('TIMEOUT');
      expect((error as SandboxError).message).toBe('Cannot open the terminal: no connection within 200 ms');
      // The half-open connection is closed, not left behind.
      await closed;
      expect(sockets).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('should report a refused upgrade as it happens, not as a timeout', async () => {
    const server = createServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const error = await Terminal.connect('/terminal?ticket=t', `http://127.0.0.1:${port}`, WebSocket, 60_000).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SandboxError);
      expect(error).not.toBeInstanceOf(TimeoutError);
      expect((error as SandboxError).code).toBe('TERMINAL');
    } finally {
      server.close();
    }
  });
});
