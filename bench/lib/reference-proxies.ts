/**
 * Reference proxies for the preview benchmark, each run as its own process like the manager and nginx:
 *
 * - `node-http`: the floor of a Node HTTP reverse proxy, the same building blocks as ours (node:http
 *   server, undici Pool with `dispatch`) and nothing else: no routing, no checks, headers relayed as
 *   they are. The gap between it and our proxy is what our own work costs per request.
 * - `tcp-relay`: a Node TCP relay, one upstream socket per client connection, bytes copied both ways
 *   without reading HTTP at all. No proxy written in Node can do less per request.
 *
 * Usage: `node dist/bench/lib/reference-proxies.js <node-http|tcp-relay> <listenPort> <upstreamHost> <upstreamPort>`
 */
import { createServer as createHttpServer } from 'node:http';
import { Socket, connect, createServer as createTcpServer } from 'node:net';
import { Dispatcher, Pool } from 'undici';

export type ReferenceProxyKind = 'node-http' | 'tcp-relay';

function nodeHttpProxy(port: number, host: string, upstreamPort: number): void {
  const pool = new Pool(`http://${host}:${upstreamPort}`, { headersTimeout: 0, bodyTimeout: 0 });
  createHttpServer((req, res) => {
    const handler: Dispatcher.DispatchHandler = {
      // undici tells new-style handlers from legacy ones by this method, so it must exist.
      onRequestStart: () => undefined,
      onResponseStart: (_controller, statusCode, headers) => void res.writeHead(statusCode, headers),
      onResponseData: (_controller, chunk: Buffer) => void res.write(chunk),
      onResponseEnd: () => void res.end(),
      onResponseError: () => void res.destroy(),
    };
    pool.dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers as Record<string, string>, body: null }, handler);
  }).listen(port, '127.0.0.1');
}

function tcpRelay(port: number, host: string, upstreamPort: number): void {
  createTcpServer({ noDelay: true }, (client: Socket) => {
    const upstream = connect({ host, port: upstreamPort, noDelay: true });
    client.pipe(upstream).on('error', () => upstream.destroy());
    upstream.pipe(client).on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }).listen(port, '127.0.0.1');
}

if (require.main === module) {
  const [kind, port, host, upstreamPort] = process.argv.slice(2);
  if (kind === 'node-http') nodeHttpProxy(Number(port), host, Number(upstreamPort));
  else if (kind === 'tcp-relay') tcpRelay(Number(port), host, Number(upstreamPort));
  else throw new Error(`unknown reference proxy: ${kind}`);
}
