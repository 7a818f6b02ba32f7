// rudder-analytics js: one POST of a batch body with fetch, for the core's driver (browsers;
// the Node build uses transport-node.mjs).
// Copyright the rudder-analytics authors. MIT licence.
//
// The core decides everything (when, what, what an answer means); this only moves the bytes
// and reports what came back. Redirects are never followed: fetch would turn a POST answered
// with 301-303 into a GET without its body and report the final page's status, so a batch
// that never arrived would count as delivered. At most `maxAnswerBytes` of an answer are read.

// Error codes that mean the request never left this machine, so the data plane cannot have
// stored it. Any other failure (a timeout, a reset after sending, a browser's opaque network
// error) may have reached it.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** What a request that got nothing back answers; the fields the core reads (Host::send). */
export const emptyAnswer = () => ({ status: 0, body: '', retryAfter: '', location: '', error: '', notSent: false, redirected: false, keepaliveFailed: false });

async function readCapped(response, maxBytes) {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  while (length < maxBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
  }
  if (length >= maxBytes) reader.cancel().catch(() => {});  // the rest is never read
  const bytes = new Uint8Array(Math.min(length, maxBytes));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, Math.min(chunk.byteLength, bytes.byteLength - at));
    bytes.set(part, at);
    at += part.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Resolves (never rejects) to { status, body, retryAfter, location, error, notSent, redirected,
 * keepaliveFailed }.
 */
export async function post({ url, authorization, body, gzipped, keepalive = false, timeoutMs, maxAnswerBytes }) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  const headers = { 'Content-Type': 'application/json', Authorization: authorization };
  if (gzipped) headers['Content-Encoding'] = 'gzip';
  const answer = emptyAnswer();
  const init = { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal, credentials: 'omit', keepalive };
  try {
    const response = await fetch(url, init);
    if (response.type === 'opaqueredirect') {
      answer.redirected = true;  // a browser hides a redirect's status and Location
    } else {
      answer.status = response.status;
      answer.retryAfter = response.headers.get('retry-after') ?? '';
      answer.location = response.headers.get('location') ?? '';
      answer.body = await readCapped(response, maxAnswerBytes);
    }
  } catch (e) {
    answer.status = 0;
    answer.body = '';
    // Never sent again here: a browser fails a keepalive request the same way whether its
    // quota (shared with beacons) refused it before it left, or the connection broke after the
    // data plane stored it, or the page began to unload under it. A resend was a second copy
    // in the last two, and an attempt nobody counted; the core retries it as an attempt that
    // got no answer, without keepalive for a while (Driver::keepalive_failed).
    answer.keepaliveFailed = keepalive && !timedOut;
    const code = e?.cause?.code;
    // fetch refuses some addresses before connecting (a "bad port" such as 1 or 6000).
    answer.notSent = !timedOut && (NOT_SENT.has(code) || e?.cause?.message === 'bad port');
    answer.error = timedOut
      ? `no answer within ${timeoutMs} ms`
      : `${code ?? e?.cause?.message ?? e?.message ?? 'fetch failed'}`;
  } finally {
    clearTimeout(timer);
  }
  return answer;
}
