/**
 * The web server the preview tests and the benchmark run inside a real sandbox (Node 24, no npm
 * packages): echoes what it received, streams large bodies, serves SSE, and speaks WebSocket with a
 * minimal frame codec over `upgrade`. Usage inside the sandbox: `node server.js <port> <name>`.
 */
export const SANDBOX_WEB_SERVER = String.raw`
const http = require('node:http');
const crypto = require('node:crypto');
const port = Number(process.argv[2]);
const name = process.argv[3] || 'sandbox';
const held = [];
const stats = { hangOpened: 0, hangClosed: 0 };

function collect(req, done) {
  const hash = crypto.createHash('sha256');
  let length = 0;
  const head = [];
  req.on('data', (chunk) => { hash.update(chunk); length += chunk.length; if (length <= 65536) head.push(chunk); });
  req.on('end', () => done({ length, sha256: hash.digest('hex'), text: length <= 65536 ? Buffer.concat(head).toString('utf8') : '' }));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://sandbox');
  switch (url.pathname) {
    case '/plain':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      return res.end('ok');
    case '/big': {
      const total = Number(url.searchParams.get('mb') || 50) * 1048576;
      const chunk = Buffer.alloc(65536, 97);
      let sent = 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    case '/sse':
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      held.push(res);
      return;
    case '/sse-release':
      for (const waiting of held.splice(0)) { waiting.write('data: second\n\n'); waiting.end(); }
      return res.end('released');
    case '/reset':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 1048576 });
      res.write(Buffer.alloc(65536, 98));
      return setTimeout(() => req.socket.destroy(), 50);
    case '/hang':
      stats.hangOpened++;
      res.on('close', () => stats.hangClosed++);
      return;
    case '/stats':
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(stats));
    case '/cookies':
      res.writeHead(200, { 'set-cookie': ['app=1; Path=/app; HttpOnly', 'evil=1; Domain=localhost; Path=/', 'sibling=1; domain=preview.localhost', 'sandbox_preview_token=forged; Path=/'] });
      return res.end('cookies');
    default:
      return collect(req, (body) => {
        const payload = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json', 'x-sandbox': name });
        res.end(payload);
      });
  }
});

function frame(opcode, payload) {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, length])
    : length < 65536 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 255])
    : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(length)); return b; })()]);
  return Buffer.concat([header, payload]);
}

server.on('upgrade', (req, socket, head) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n');
  socket.write(frame(1, Buffer.from(JSON.stringify({ name, url: req.url, headers: req.headers }))));
  let buffer = head;
  socket.on('data', (data) => {
    buffer = Buffer.concat([buffer, data]);
    while (buffer.length >= 2) {
      const opcode = buffer[0] & 15;
      let length = buffer[1] & 127;
      let offset = 2;
      if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
      const masked = (buffer[1] & 128) !== 0;
      const total = offset + (masked ? 4 : 0) + length;
      if (buffer.length < total) return;
      const mask = masked ? buffer.subarray(offset, offset + 4) : null;
      const payload = Buffer.from(buffer.subarray(total - length, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      buffer = buffer.subarray(total);
      if (opcode === 8) { socket.end(frame(8, payload.subarray(0, 2))); return; }
      if (opcode === 9) { socket.write(frame(10, payload)); continue; }
      if (opcode === 1 && payload.toString() === 'bye') { socket.end(frame(8, Buffer.from([0x03, 0xe9]))); return; }
      if (opcode === 1 || opcode === 2) socket.write(frame(opcode, payload));
    }
  });
  socket.on('error', () => socket.destroy());
});

server.keepAliveTimeout = 65000;
server.listen(port, '0.0.0.0', () => console.log('listening ' + port));
`;
