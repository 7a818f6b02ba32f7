// A data plane stand-in that only counts: it answers every request 200 "ok" without
// decompressing or parsing, so a benchmark against it measures the SDK, not the server.
// Prints "sink listening on http://127.0.0.1:<port>" first; exits when stdin closes.
import http from 'node:http';

let requests = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (chunk) => { bytes += chunk.length; });
  req.on('end', () => {
    requests += 1;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3 });
    res.end('ok\n');
  });
});
server.keepAliveTimeout = 720_000;
server.headersTimeout = 721_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`sink listening on http://127.0.0.1:${server.address().port}`);
});
process.stdin.on('end', () => {
  console.error(`sink: ${requests} requests, ${bytes} bytes`);
  process.exit(0);
});
process.stdin.resume();
