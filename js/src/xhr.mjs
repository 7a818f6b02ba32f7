// rudder-analytics js: the XMLHttpRequest that emscripten_fetch needs, built on fetch().
// Copyright the rudder-analytics authors. MIT licence.
//
// Node (and some workers) have fetch but no XMLHttpRequest. This class implements the part
// of XMLHttpRequest that Emscripten's fetch library uses (open, setRequestHeader, timeout,
// responseType 'arraybuffer', send, getAllResponseHeaders, the on* handlers) and nothing
// more. It is handed to the module as Module.XMLHttpRequest and never installed globally.

export class FetchXMLHttpRequest {
  constructor() {
    this.readyState = 0;
    this.status = 0;
    this.statusText = '';
    this.response = null;
    this.responseType = '';
    this.responseURL = '';
    this.timeout = 0;
    this.withCredentials = false;
    this.onload = this.onerror = this.ontimeout = this.onabort = null;
    this.onprogress = this.onreadystatechange = null;
    this._headers = {};
    this._responseHeaders = '';
    this._controller = null;
  }

  open(method, url, async = true, user = undefined, password = undefined) {
    if (async === false) throw new Error('FetchXMLHttpRequest: synchronous requests are not supported');
    this._method = method;
    this._url = url;
    if (user) this._headers.authorization = `Basic ${btoa(`${user}:${password ?? ''}`)}`;
    this._setState(1);
  }

  setRequestHeader(name, value) {
    this._headers[name] = value;
  }

  overrideMimeType() {}

  getAllResponseHeaders() {
    return this._responseHeaders;
  }

  getResponseHeader(name) {
    const wanted = `${name.toLowerCase()}: `;
    const line = this._responseHeaders.split('\r\n').find((l) => l.toLowerCase().startsWith(wanted));
    return line === undefined ? null : line.slice(wanted.length);
  }

  abort() {
    this._controller?.abort();
  }

  send(body = null) {
    const controller = new AbortController();
    this._controller = controller;
    let timedOut = false;
    const timer = this.timeout > 0
      ? setTimeout(() => { timedOut = true; controller.abort(); }, this.timeout)
      : undefined;
    const init = { method: this._method, headers: this._headers, signal: controller.signal };
    if (body !== null && body !== undefined) init.body = body;
    fetch(this._url, init)
      .then(async (res) => {
        const bytes = await res.arrayBuffer();
        clearTimeout(timer);
        this.status = res.status;
        this.statusText = res.statusText;
        this.responseURL = res.url;
        let headers = '';
        res.headers.forEach((value, name) => { headers += `${name}: ${value}\r\n`; });
        this._responseHeaders = headers;
        this.response = this.responseType === 'arraybuffer' ? bytes : new TextDecoder().decode(bytes);
        this._setState(4);
        this.onload?.({ type: 'load', target: this, loaded: bytes.byteLength });
      })
      .catch(() => {
        clearTimeout(timer);
        this.status = 0;
        this._setState(4);
        const handler = timedOut ? this.ontimeout : controller.signal.aborted ? this.onabort : this.onerror;
        handler?.({ type: timedOut ? 'timeout' : 'error', target: this, loaded: 0 });
      });
  }

  _setState(state) {
    this.readyState = state;
    this.onreadystatechange?.({ type: 'readystatechange', target: this });
  }
}
