import WebSocket from 'ws';

/** The answer to a WebSocket upgrade the server is expected to refuse: its status and JSON body. Rejects if the upgrade is accepted. */
export function upgradeRefusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { message?: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body || '{}') as { message?: string } }));
    });
    ws.once('error', () => undefined);
  });
}
