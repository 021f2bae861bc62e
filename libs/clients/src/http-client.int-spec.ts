import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '@sandbox/contracts';
import { runWithRequestId } from '@sandbox/shared';
import {
  ServiceBadRequestError,
  ServiceConflictError,
  ServiceNotFoundError,
  ServiceServerError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from './client-errors';
import { WorkerClient } from './worker.client';

const KEY = 'client-test-key-0123456789';

/** A real HTTP server whose answer depends on the path, recording the headers it receives. */
function startFakeService(): Promise<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/api/tasks/known') return json(200, { id: 'known' });
    if (req.url === '/api/tasks/missing') return json(404, { statusCode: 404, message: 'Task not found' });
    if (req.url === '/api/tasks/missing/cancel') return json(409, { statusCode: 409, message: 'Task already finished' });
    if (req.url === '/api/tasks' && req.method === 'POST') return json(400, { statusCode: 400, message: ['priority must be one of 1, 5, 10'] });
    if (req.url === '/api/tasks/broken') return json(500, { statusCode: 500, message: 'Internal server error', errorId: 'x' });
    if (req.url === '/api/tasks/slow') return void setTimeout(() => json(200, {}), 2_000).unref();
    return json(404, { statusCode: 404, message: 'Cannot GET' });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })),
  );
}

describe(WorkerClient.name, () => {
  let fake: Awaited<ReturnType<typeof startFakeService>>;
  let client: WorkerClient;

  beforeAll(async () => {
    fake = await startFakeService();
    client = new WorkerClient({ baseUrl: fake.url, internalKey: `${KEY},older-key-abcdefghijkl`, timeoutMs: 500 });
  });

  afterAll(async () => {
    await client.close();
    fake.server.closeAllConnections();
    await new Promise((resolve) => fake.server.close(resolve));
  });

  it('should return the parsed body and send the first internal key and the current request id', async () => {
    const task = await runWithRequestId('req-abc-123', () => client.getTask('known'));
    expect(task).toEqual({ id: 'known' });
    const headers = fake.seen.at(-1)!;
    expect(headers['x-internal-service-key']).toBe(KEY);
    expect(headers['x-request-id']).toBe('req-abc-123');
  });

  it('should map 404 to ServiceNotFoundError with the service message', async () => {
    const error = await client.getTask('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNotFoundError);
    expect(error).toMatchObject({ message: 'Task not found', status: 404, code: ErrorCode.NotFound });
  });

  it('should map 400 to ServiceBadRequestError passing the validation message through', async () => {
    const error = await client.createTask({ type: 'sandbox.exec', payload: {}, priority: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceBadRequestError);
    expect(error).toMatchObject({ message: 'priority must be one of 1, 5, 10', status: 400 });
  });

  it('should map 409 to ServiceConflictError', async () => {
    await expect(client.cancelTask('missing')).rejects.toBeInstanceOf(ServiceConflictError);
  });

  it('should map 5xx to ServiceServerError', async () => {
    const error = await client.getTask('broken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceServerError);
    expect(error).toMatchObject({ status: 500, code: ErrorCode.BadGateway });
  });

  it('should map a refused connection to ServiceUnavailableError with the documented message', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = new WorkerClient({ baseUrl: `http://127.0.0.1:${port}`, internalKey: KEY });
    const error = await offline.health().catch((e: unknown) => e);
    await offline.close();
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ message: 'Worker Service is unavailable', code: ErrorCode.ServiceUnavailable, status: null });
  });

  it('should map a slow answer to ServiceTimeoutError', async () => {
    const error = await client.getTask('slow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceTimeoutError);
    expect(error).toMatchObject({ code: ErrorCode.Timeout });
  });

  it('should give each failure kind its own class', () => {
    const classes = [ServiceNotFoundError, ServiceBadRequestError, ServiceServerError, ServiceUnavailableError, ServiceTimeoutError, ServiceConflictError];
    expect(new Set(classes).size).toBe(classes.length);
  });
});
