// A minimal Server-Sent Events broadcaster: the baseline of the "live" and "idle streams"
// benchmarks. Plain Node.js, no dependencies, nothing but what any SSE server must do.
//
//   GET  /events     an event stream (kept open; ": heartbeat" every HEARTBEAT_MS if set)
//   POST /broadcast  the body (a JSON object) goes to every open stream as one `message` event
//   GET  /stats      { "clients": n }
//
// Listens on 127.0.0.1:PORT and prints "listening <port>" once ready.
import http from 'node:http';

const port = Number(process.env.PORT ?? 0);
const heartbeatMs = Number(process.env.HEARTBEAT_MS ?? 0);
const clients = new Set();
let seq = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/events') {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 3000\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
    return;
  }
  if (req.method === 'POST' && req.url === '/broadcast') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const data = Buffer.concat(chunks).toString('utf8');
      seq += 1;
      const frame = `id: ${seq}\nevent: message\ndata: ${data}\n\n`;
      for (const c of clients) c.write(frame);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ delivered: clients.size }));
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ clients: clients.size }));
    return;
  }
  res.writeHead(404);
  res.end();
});
server.keepAliveTimeout = 10_000;

if (heartbeatMs > 0) {
  setInterval(() => {
    for (const c of clients) c.write(': heartbeat\n\n');
  }, heartbeatMs).unref();
}

server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

const stop = () => {
  for (const c of clients) c.end();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
