// rudder-analytics js: one POST of a batch body with node:http / node:https (the Node build).
// Copyright the rudder-analytics authors. MIT licence.
//
// The same contract as transport.mjs's fetch version, which browsers use: the core decides
// everything, this moves the bytes. Why not fetch in Node: undici's fetch (its web streams,
// abort signals and header objects) took more of the process's CPU per batch than building,
// compressing and sending it otherwise did (28% of a profiled delivery run, against 21% for
// every call and body in the module). node:http with a keep-alive agent writes the same request
// at a fraction of that. Redirects are never followed (node:http does not), at most
// `maxAnswerBytes` of an answer are read, and the timeout covers the whole exchange.
import { nodeImport } from './module.mjs';
import { emptyAnswer } from './transport.mjs';

let clients = null;  // Promise<{ 'http:': ..., 'https:': ... }>, loaded on the first request

// One keep-alive agent per scheme, shared by every client in the process. The agent unrefs an
// idle socket, so a kept connection never holds the process open, and closes it after 4 s
// idle (fetch's default too): before the 5 s after which many servers close theirs, so a batch
// is seldom written into a connection the server is closing.
const KEEP_ALIVE = { keepAlive: true, timeout: 4_000 };
function loadClients() {
  clients ??= Promise.all([nodeImport('node:http'), nodeImport('node:https')]).then(([http, https]) => ({
    'http:': { request: http.request, agent: new http.Agent(KEEP_ALIVE) },
    'https:': { request: https.request, agent: new https.Agent(KEEP_ALIVE) },
  }));
  return clients;
}

const firstHeader = (value) => (Array.isArray(value) ? value[0] : value) ?? '';

/**
 * Resolves (never rejects) to { status, body, retryAfter, location, error, notSent, redirected }.
 */
export async function post({ url, authorization, body, gzipped, timeoutMs, maxAnswerBytes }) {
  const answer = emptyAnswer();
  const target = new URL(url);  // the core accepted it: http or https, no query or fragment
  const client = (await loadClients())[target.protocol];
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': body.byteLength,
    Authorization: authorization,
  };
  if (gzipped) headers['Content-Encoding'] = 'gzip';
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    // Until the connection is made (for https, its handshake done and the certificate
    // trusted), nothing of the request has left this machine, so a failure before then
    // (refused, no such host, an untrusted certificate, no connection within the timeout)
    // cannot have been stored: as the native transport's "no request byte sent".
    let connected = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const fail = (e) => {
      if (settled) return;
      Object.assign(answer, emptyAnswer());  // what came before the failure does not count
      answer.notSent = !connected;
      if (timedOut) answer.error = `${connected ? 'no answer' : 'no connection'} within ${timeoutMs} ms`;
      else answer.error = `${e?.code ?? e?.message ?? 'request failed'}`;
      settle();
    };
    const request = client.request(target, { method: 'POST', headers, agent: client.agent }, (response) => {
      answer.status = response.statusCode;
      answer.retryAfter = firstHeader(response.headers['retry-after']);
      answer.location = firstHeader(response.headers.location);
      const chunks = [];
      let length = 0;
      const keep = () => {
        answer.body = new TextDecoder().decode(Buffer.concat(chunks, length).subarray(0, Math.min(length, maxAnswerBytes)));
        settle();
      };
      response.on('data', (chunk) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= maxAnswerBytes) {
          keep();  // first: destroying closes the answer at once, which must not count as a failure
          response.destroy();  // the rest is never read; the connection is not reused
        }
      });
      response.on('end', keep);
      response.on('error', fail);
      // A connection closed before the answer's end ('end' never comes).
      response.on('close', () => fail(new Error('the connection closed before the answer ended')));
    });
    // The timeout acts only after one more turn of the event loop's I/O: a process frozen
    // meanwhile (SIGSTOP, a Lambda between invocations) runs its expired timers before it
    // reads its sockets, and an answer waiting there must win over a timeout that passed while
    // nothing ran (it was taken for "no answer" and the batch sent again).
    const timer = setTimeout(() => setImmediate(() => {
      if (settled) return;
      timedOut = true;
      request.destroy();
      fail(null);
    }), timeoutMs);
    request.on('socket', (socket) => {
      if (request.reusedSocket) connected = true;  // a kept-alive connection, made earlier
      else socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => { connected = true; });
    });
    request.on('error', fail);
    request.end(body);
  });
}
