// coinop shared API client: JSON requests to the same origin (the session
// cookie authenticates) and live WebSockets that reconnect with backoff.
// An ES module with no dependencies; pages import it read-only.
//
//   import { api, ApiError, getConfig, liveSocket } from '/shared/api.js';
//   const me = await api('/api/v2/me');                       // throws ApiError
//   await api('/api/v2/transfer', { method: 'POST', body: { to: 3, value: 5 } });
//   const sock = liveSocket('/api/v2/events', { onMessage(msg) {}, onState(state, info) {} });
//   sock.close();

const TIMEOUT = 15000;

// ApiError is every failure: status 0 for the network, else the HTTP
// status with the server's {error, message}; retryAfter in seconds (429).
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || (status === 0 ? 'network' : `http_${status}`);
    this.retryAfter = retryAfter; // seconds, or undefined
  }
}

// api sends a request and answers the decoded JSON (null when empty).
export async function api(path, { method = 'GET', body, headers = {}, signal, timeout = TIMEOUT } = {}) {
  const init = {
    method,
    headers: { Accept: 'application/json', ...headers },
    credentials: 'same-origin',
    cache: 'no-store',
    signal: signal || AbortSignal.timeout(timeout),
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, err && err.name === 'TimeoutError' ? 'timeout' : 'network', err && err.message);
  }
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return data;
  const after = parseInt(res.headers.get('Retry-After') || '', 10);
  throw new ApiError(res.status, data && data.error, data && data.message, Number.isFinite(after) && after >= 0 ? after : undefined);
}

let configPromise;
// getConfig: {timezone, demo, login}, fetched once per page.
export function getConfig() {
  if (!configPromise) {
    configPromise = api('/api/v2/config').catch((err) => {
      configPromise = undefined; // try again next time
      throw err;
    });
  }
  return configPromise;
}

// liveSocket keeps a WebSocket to path open: JSON messages go to onMessage;
// onState(state, {attempt, retryIn}) tells 'connecting' | 'live' |
// 'reconnecting' | 'closed'. Reconnects with exponential backoff and
// jitter (0.5 s doubling to 15 s); onGiveUp (optional, async) is asked
// after each failed attempt and may answer true to stop (e.g. signed out).
export function liveSocket(path, { onMessage, onState = () => {}, onGiveUp, minDelay = 500, maxDelay = 15000 } = {}) {
  let ws = null;
  let attempt = 0;
  let timer = 0;
  let closed = false;
  let liveSince = 0;

  const url = () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;

  function open() {
    if (closed) return;
    onState('connecting', { attempt });
    try {
      ws = new WebSocket(url());
    } catch {
      schedule();
      return;
    }
    let opened = false;
    ws.onopen = () => {
      opened = true;
      liveSince = Date.now();
      onState('live', { attempt });
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (opened && attempt) attempt = 0;
      onMessage && onMessage(msg);
    };
    ws.onerror = () => { /* the close event follows */ };
    ws.onclose = async () => {
      ws = null;
      if (closed) return;
      if (liveSince && Date.now() - liveSince > 10000) attempt = 0;
      liveSince = 0;
      if (onGiveUp && await Promise.resolve(onGiveUp({ attempt, opened })).catch(() => false)) {
        closed = true;
        onState('closed', { attempt });
        return;
      }
      schedule();
    };
  }

  function schedule() {
    if (closed) return;
    const base = Math.min(maxDelay, minDelay * 2 ** attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    attempt = Math.min(attempt + 1, 20);
    onState('reconnecting', { attempt, retryIn: delay });
    clearTimeout(timer);
    timer = setTimeout(open, delay);
  }

  // Back online or back to the tab: do not sit out a long backoff.
  const now = () => {
    if (!closed && !ws) {
      clearTimeout(timer);
      open();
    }
  };
  window.addEventListener('online', now);
  const onVisible = () => { if (document.visibilityState === 'visible') now(); };
  document.addEventListener('visibilitychange', onVisible);
  const onHide = () => { if (ws) try { ws.close(1000, 'page closed'); } catch { /* closed */ } };
  window.addEventListener('pagehide', onHide);

  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      window.removeEventListener('online', now);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('pagehide', onHide);
      if (ws) {
        ws.onclose = null;
        try { ws.close(1000, 'bye'); } catch { /* closed */ }
        ws = null;
      }
      onState('closed', { attempt });
    },
    get live() { return !!ws && ws.readyState === WebSocket.OPEN; },
  };
}
