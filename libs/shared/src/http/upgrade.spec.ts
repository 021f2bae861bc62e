import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { handleUpgradesFirst, refuseUpgrade } from './upgrade';

/** Sends a WebSocket upgrade request for `path` and returns everything the server answers before closing. */
function upgrade(server: Server, path: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`),
    );
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe(handleUpgradesFirst.name, () => {
  let server: Server;

  beforeEach(async () => {
    server = createServer();
    // The handler attached before, like graphql-ws.
    server.on('upgrade', (_req, socket) => refuseUpgrade(socket, 400, 'earlier handler'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('should let the handler in front answer, or hand the request on to the earlier handlers', async () => {
    handleUpgradesFirst(server, (req, socket, _head, next) => (req.url === '/mine' ? refuseUpgrade(socket, 403, 'Origin not allowed') : next()));

    const mine = await upgrade(server, '/mine');
    expect(mine).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(mine).toContain('Content-Type: application/json');
    expect(mine.slice(mine.indexOf('\r\n\r\n') + 4)).toBe('{"statusCode":403,"message":"Origin not allowed"}');

    const other = await upgrade(server, '/graphql');
    expect(other).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(other.slice(other.indexOf('\r\n\r\n') + 4)).toBe('{"statusCode":400,"message":"earlier handler"}');
  });

  it('should put each later handler in front of the ones before it', async () => {
    const seen: string[] = [];
    handleUpgradesFirst(server, (_req, _socket, _head, next) => {
      seen.push('first');
      next();
    });
    handleUpgradesFirst(server, (_req, _socket, _head, next) => {
      seen.push('second');
      next();
    });
    await upgrade(server, '/graphql');
    expect(seen).toEqual(['second', 'first']);
    expect(server.listenerCount('upgrade')).toBe(1);
  });
});
