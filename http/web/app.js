// coinop ticker page: exchanges an API key for a token (POST /auth/token),
// streams /ws/ticker and draws the prices at most once per animation frame.
// No framework, no build step: an ES module (the server's CSP allows only
// same-origin scripts). Texts in Portuguese (Brazil) and English with the
// shared i18n module (/shared/i18n.js), as the other pages.

import { getConfig } from './shared/api.js';
import * as i18n from './shared/i18n.js';

const { t } = i18n;

i18n.addMessages({
  'pt-BR': {
    'doc.title': 'coinop · ticker de cotações',
    'meta.description': 'Cotações de criptomoedas ao vivo do coinop.',
    skip: 'Pular para as cotações',
    'nav.label': 'Páginas do coinop',
    'nav.ticker': 'Ticker',
    'nav.app': 'App da carteira',
    'nav.machines': 'Máquinas (demo)',
    'nav.admin': 'Operador',
    'brand.label': 'coinop ticker, início',
    'brand.tag': 'ticker',

    'connect.title': 'Cotações ao vivo',
    'connect.sub': 'Conecte-se com sua chave de API para receber as cotações conforme elas mudam.',
    'key.label': 'Chave de API',
    'key.placeholder': 'Cole sua chave de API',
    'key.show': 'Mostrar a chave de API',
    'key.hide': 'Ocultar a chave de API',
    'key.hint': 'A chave fica só nesta aba do navegador (armazenamento da sessão).',
    'key.forget': 'Esquecer a chave',
    'btn.connect': 'Conectar',
    'btn.connected': 'Conectado',
    'btn.connecting': 'Conectando…',
    'btn.switch': 'Trocar a chave',
    'btn.retry': 'Tentar agora',
    'btn.disconnect': 'Desconectar',

    'state.disconnected': 'Desconectado',
    'state.connecting': 'Conectando…',
    'state.live': 'Ao vivo',
    'state.reconnecting': 'Reconectando',
    'state.error': 'Erro',
    'state.revoked': 'Chave revogada',
    'state.reconnectIn': 'Reconectando em {s} s',
    'state.retryIn': 'Tentando de novo em {s} s',

    'd.start': 'digite sua chave de API para começar',
    'd.needKey': 'digite uma chave de API',
    'd.attempt': 'tentativa {n}',
    'd.noAnswer': 'o servidor não respondeu',
    'd.unreachable': 'não foi possível falar com o servidor',
    'd.cannotOpen': 'não foi possível abrir a conexão',
    'd.openTimeout': 'a conexão demorou demais para abrir',
    'd.silent': 'o servidor parou de enviar dados',
    'd.renewing': 'o token expirou, renovando',
    'd.revoked': 'esta chave de API foi revogada; digite outra chave para conectar',
    'd.replaced': 'substituída por uma conexão mais nova',
    'd.restarting': 'o servidor está reiniciando',
    'd.shutdown': 'o servidor está sendo desligado',
    'd.tooBig': 'mensagem grande demais',
    'd.liveRefused': 'não foi possível abrir a conexão ao vivo',
    'd.lost': 'a conexão caiu',
    'd.closed': 'conexão encerrada (código {code})',
    'd.resume': 'pressione Conectar para retomar',
    'd.forgotten': 'a chave foi esquecida',
    'd.signedIn': ({ user, role }) => `conectado como ${user}${role ? ` (${role})` : ''}`,
    'd.badKey': 'chave de API inválida',
    'd.tooMany': 'tentativas falhas demais; tente de novo mais tarde',
    'd.origin': 'esta origem não é permitida pelo servidor',
    'role.user': 'usuário',
    'role.operator': 'operador',
    'role.machine': 'máquina',

    'prices.title': 'Mercados',
    'prices.reset': 'Zerar variação',
    'prices.resetTitle': 'Medir a variação a partir dos preços atuais',
    'prices.baseline': 'A variação é medida a partir do primeiro preço visto nesta sessão.',
    'prices.caption': 'Cotações ao vivo, atualizadas continuamente',
    'col.symbol': 'Símbolo',
    'col.price': 'Preço',
    'col.change': 'Variação',
    'col.trend': 'Tendência',
    'empty.title': 'Nenhuma cotação ainda',
    'empty.idle': 'Digite sua chave de API e pressione Conectar.',
    'empty.waiting': 'Aguardando as primeiras cotações…',
    'dir.up': 'em alta',
    'dir.down': 'em baixa',
    'dir.flat': 'estável',

    'stats.label': 'Estatísticas da conexão',
    'stats.seq': 'Sequência',
    'stats.fps': 'Quadros/s',
    'stats.updated': 'Última cotação',
    'stats.session': 'Token',
    'stats.token': 'token',
    'stats.sessionTitle': 'Usuário conectado e o tempo restante do token (renovado automaticamente)',
    footer: 'As cotações chegam por um WebSocket e são desenhadas no máximo uma vez por quadro da tela.',
  },
  en: {
    'doc.title': 'coinop · price ticker',
    'meta.description': 'Live crypto prices from coinop.',
    skip: 'Skip to prices',
    'nav.label': 'coinop pages',
    'nav.ticker': 'Ticker',
    'nav.app': 'Wallet app',
    'nav.machines': 'Machines (demo)',
    'nav.admin': 'Admin',
    'brand.label': 'coinop ticker, home',
    'brand.tag': 'ticker',

    'connect.title': 'Live prices',
    'connect.sub': 'Connect with your API key to stream prices as they move.',
    'key.label': 'API key',
    'key.placeholder': 'Paste your API key',
    'key.show': 'Show API key',
    'key.hide': 'Hide API key',
    'key.hint': 'The key stays in this browser tab only (session storage).',
    'key.forget': 'Forget key',
    'btn.connect': 'Connect',
    'btn.connected': 'Connected',
    'btn.connecting': 'Connecting…',
    'btn.switch': 'Switch key',
    'btn.retry': 'Retry now',
    'btn.disconnect': 'Disconnect',

    'state.disconnected': 'Disconnected',
    'state.connecting': 'Connecting…',
    'state.live': 'Live',
    'state.reconnecting': 'Reconnecting',
    'state.error': 'Error',
    'state.revoked': 'Key revoked',
    'state.reconnectIn': 'Reconnecting in {s} s',
    'state.retryIn': 'Retrying in {s} s',

    'd.start': 'enter your API key to start',
    'd.needKey': 'enter an API key',
    'd.attempt': 'attempt {n}',
    'd.noAnswer': 'the server did not answer',
    'd.unreachable': 'cannot reach the server',
    'd.cannotOpen': 'cannot open the connection',
    'd.openTimeout': 'the connection timed out',
    'd.silent': 'no data from the server',
    'd.renewing': 'token expired, renewing',
    'd.revoked': 'this API key was revoked; enter another key to connect',
    'd.replaced': 'replaced by a newer connection',
    'd.restarting': 'the server is restarting',
    'd.shutdown': 'the server is shutting down',
    'd.tooBig': 'message too big',
    'd.liveRefused': 'cannot open the live connection',
    'd.lost': 'connection lost',
    'd.closed': 'connection closed (code {code})',
    'd.resume': 'press Connect to resume',
    'd.forgotten': 'the key was forgotten',
    'd.signedIn': ({ user, role }) => `signed in as ${user}${role ? ` (${role})` : ''}`,
    'd.badKey': 'invalid API key',
    'd.tooMany': 'too many failed attempts; try again later',
    'd.origin': 'this origin is not allowed by the server',
    'role.user': 'user',
    'role.operator': 'operator',
    'role.machine': 'machine',

    'prices.title': 'Markets',
    'prices.reset': 'Reset change',
    'prices.resetTitle': 'Measure change from the current prices',
    'prices.baseline': 'Change is measured from the first price seen in this session.',
    'prices.caption': 'Live prices, updated continuously',
    'col.symbol': 'Symbol',
    'col.price': 'Price',
    'col.change': 'Change',
    'col.trend': 'Trend',
    'empty.title': 'No prices yet',
    'empty.idle': 'Enter your API key and press Connect.',
    'empty.waiting': 'Waiting for the first prices…',
    'dir.up': 'up',
    'dir.down': 'down',
    'dir.flat': 'unchanged',

    'stats.label': 'Connection statistics',
    'stats.seq': 'Seq',
    'stats.fps': 'Frames/s',
    'stats.updated': 'Last tick',
    'stats.session': 'Token',
    'stats.token': 'token',
    'stats.sessionTitle': 'Signed-in user and the time left on the token (renewed automatically)',
    footer: 'Prices stream over a WebSocket and are drawn at most once per screen frame.',
  },
});

// The server's own messages (English) that the page says in its language;
// any other is shown as the server wrote it.
const SERVER_TEXTS = {
  'invalid API key': 'd.badKey',
  'api_key required': 'd.needKey',
  'too many failed attempts; try again later': 'd.tooMany',
  'origin not allowed': 'd.origin',
  'server shutting down': 'd.shutdown',
  'replaced by a newer connection': 'd.replaced',
  'message too big': 'd.tooBig',
};

// A status detail is kept as what to say, not as text, so that a language
// switch redraws it: msg('d.attempt', {n: 2}), or server('invalid API key').
const msg = (key, vars) => ({ key, vars });
const server = (text) => (SERVER_TEXTS[text] ? msg(SERVER_TEXTS[text]) : { text });
function say(d) {
  if (!d) return '';
  if (!d.key) return d.text || '';
  const vars = {};
  for (const [k, v] of Object.entries(d.vars || {})) vars[k] = typeof v === 'function' ? v() : v;
  return t(d.key, vars);
}
const roleName = (role) => (i18n.has(`role.${role}`) ? t(`role.${role}`) : role);

const KEY_STORE = 'coinop.apiKey';
const BASELINE_STORE = 'coinop.baseline';

const BACKOFF_MIN = 500; // first reconnect delay (ms), doubling...
const BACKOFF_MAX = 30000; // ...up to this
const STABLE_AFTER = 10000; // a connection live this long resets the backoff
const OPEN_TIMEOUT = 10000; // a socket not open after this is given up
const FETCH_TIMEOUT = 10000; // token exchange timeout
const PING_EVERY = 20000; // keepalive {"type":"ping"} interval
const SILENCE_LIMIT = 35000; // nothing received for this long: reconnect
const SPARK_POINTS = 120; // trend samples kept per symbol...
const SPARK_EVERY = 250; // ...one every this many ms (30 s in all)

const NAMES = {
  BTC: 'Bitcoin', ETH: 'Ethereum', SOL: 'Solana', ADA: 'Cardano', XRP: 'XRP',
  DOGE: 'Dogecoin', DOT: 'Polkadot', LTC: 'Litecoin', AVAX: 'Avalanche', LINK: 'Chainlink',
};

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('connect-form'), key: $('api-key'), toggle: $('toggle-key'),
  connect: $('connect'), disconnect: $('disconnect'), forget: $('forget'),
  status: $('status'), statusLabel: $('status-label'), statusDetail: $('status-detail'),
  pill: $('pill'), pillText: $('pill-text'), pillShort: $('pill-short'),
  table: $('ticker'), rows: $('rows'), empty: $('empty-row'), emptySub: $('empty-sub'), reset: $('reset-baseline'),
  seq: $('seq'), fps: $('fps'), updated: $('updated'), session: $('session'),
};

// ---- storage (sessionStorage may be unavailable, e.g. in some private modes) ----

const store = {
  get(k) { try { return sessionStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { sessionStorage.setItem(k, v); } catch { /* ignore */ } },
  del(k) { try { sessionStorage.removeItem(k); } catch { /* ignore */ } },
};

// ---- formatting ----

// Numbers in the locale of the page's language (i18n.getLang()): prices in
// USD read "US$ 42.000,00" in Portuguese and "$42,000.00" in English. The
// formatters are made again after a language switch.
let fmts = null;
function formats() {
  const lang = i18n.getLang();
  if (!fmts || fmts.lang !== lang) {
    fmts = {
      lang,
      money: new Map(), // quote currency -> formatter
      plain2: new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
      signed2: new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }),
    };
  }
  return fmts;
}

function formatPrice(symbol, price) {
  const { money, plain2, lang } = formats();
  const quote = symbol.split('-')[1] || '';
  if (!money.has(quote)) {
    let f = plain2;
    try {
      if (/^[A-Z]{3}$/.test(quote) && quote !== 'BTC' && quote !== 'ETH') {
        f = new Intl.NumberFormat(lang, { style: 'currency', currency: quote, minimumFractionDigits: 2, maximumFractionDigits: 2 });
      }
    } catch { /* not an ISO currency */ }
    money.set(quote, f);
  }
  return money.get(quote).format(price);
}

// formatDuration: h:mm:ss, or m:ss under an hour.
function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

// A real minus sign reads better than a hyphen next to a plus.
const minus = (text) => text.replace('-', '\u2212');

// ---- market state (written by messages, drawn by render) ----

const market = {
  order: [], // symbols in order of first appearance
  latest: new Map(), // symbol -> {price, ts}
  rows: new Map(), // symbol -> row elements
  spark: new Map(), // symbol -> number[]
  baseline: loadBaseline(), // symbol -> first price seen this session
  seq: 0,
  ts: 0,
  frames: 0, // ticker frames received since the last fps sample
  dirty: false,
  sparkDirty: false,
};

function loadBaseline() {
  try {
    const b = JSON.parse(store.get(BASELINE_STORE) || '{}');
    return new Map(Object.entries(b).filter(([, v]) => typeof v === 'number' && v > 0));
  } catch { return new Map(); }
}
function saveBaseline() {
  store.set(BASELINE_STORE, JSON.stringify(Object.fromEntries(market.baseline)));
}

// ---- connection state machine ----
//
// states: disconnected, connecting, live, reconnecting, error, revoked.
// gen is bumped on every transition that abandons in-flight work, so late
// callbacks of an old attempt (fetch, socket events, timers) do nothing.

const conn = {
  state: 'disconnected',
  key: '', // the key in use
  token: '', expiresAt: 0, ttl: 0,
  user: '', role: '',
  ws: null,
  gen: 0,
  attempt: 0, // consecutive failures, for the backoff
  everLive: false, // this key has worked at least once
  liveSince: 0,
  lastRx: 0,
  retryAt: 0,
  retryTimer: 0, openTimer: 0, pingTimer: 0,
  detail: null, // what the status line says after the label: msg() or server()
};

// setStatus shows state with detail (msg() or server()); badKey marks the
// key field invalid.
function setStatus(state, detail, badKey = false) {
  conn.state = state;
  conn.detail = detail || null;
  ui.status.dataset.state = state;
  ui.pill.dataset.state = state;
  setText(ui.statusDetail, say(conn.detail));
  refreshLabels();
  const active = isActive();
  ui.disconnect.disabled = !active;
  updateConnectButton();
  ui.table.classList.toggle('stale', state !== 'live' && market.order.length > 0);
  ui.key.setAttribute('aria-invalid', badKey ? 'true' : 'false');
  drawEmptyHint();
  if (!active) ui.fps.textContent = '0';
}

const isActive = () => conn.state === 'connecting' || conn.state === 'live' || conn.state === 'reconnecting';

function drawEmptyHint() {
  setText(ui.emptySub, t(isActive() ? 'empty.waiting' : 'empty.idle'));
}

// refreshLabels draws the label, with the countdown while reconnecting (the
// pill on a narrow screen shows the short label only).
function refreshLabels() {
  const short = t(`state.${conn.state}`);
  let label = short;
  if (conn.state === 'reconnecting') {
    const s = Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000));
    label = t(conn.everLive ? 'state.reconnectIn' : 'state.retryIn', { s: i18n.fmtNumber(s) });
  }
  setText(ui.statusLabel, label);
  setText(ui.pillText, label);
  setText(ui.pillShort, short);
}

// updateConnectButton: "Connect", or what pressing it would do now.
function updateConnectButton() {
  const value = ui.key.value.trim();
  const same = value === conn.key;
  let label = 'btn.connect';
  let disabled = false;
  if (conn.state === 'live' || conn.state === 'connecting') {
    label = same ? (conn.state === 'live' ? 'btn.connected' : 'btn.connecting') : 'btn.switch';
    disabled = same || !value;
  } else if (conn.state === 'reconnecting') {
    label = same ? 'btn.retry' : 'btn.switch';
    disabled = !value;
  }
  setText(ui.connect, t(label));
  ui.connect.disabled = disabled;
  ui.forget.hidden = !value && !store.get(KEY_STORE);
}

function clearTimers() {
  clearTimeout(conn.retryTimer);
  clearTimeout(conn.openTimer);
  clearInterval(conn.pingTimer);
  conn.retryTimer = conn.openTimer = conn.pingTimer = 0;
}

function dropSocket(code, reason) {
  const ws = conn.ws;
  conn.ws = null;
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
  try { ws.close(code || 1000, reason || ''); } catch { /* already closed */ }
}

// connect starts with the key in the field, as the user asked.
function connect() {
  const key = ui.key.value.trim();
  if (!key) {
    conn.gen++;
    clearTimers();
    dropSocket();
    setStatus('error', msg('d.needKey'), true);
    ui.key.focus();
    return;
  }
  if (key !== conn.key) {
    conn.token = '';
    conn.everLive = false;
  }
  conn.key = key;
  conn.attempt = 0;
  store.set(KEY_STORE, key);
  start();
}

// start exchanges the key for a token if needed, then opens the socket.
async function start() {
  const gen = ++conn.gen;
  clearTimers();
  dropSocket();
  setStatus('connecting', conn.attempt > 0 ? msg('d.attempt', { n: conn.attempt + 1 }) : null);
  if (!tokenUsable()) {
    const r = await exchange();
    if (gen !== conn.gen) return;
    if (r.fatal) { fail(r.message, r.badKey); return; }
    if (!r.ok) { retry(r.message, r.after); return; }
  }
  openSocket(gen);
}

// tokenUsable: a token that will not expire in the next moments.
function tokenUsable() {
  if (!conn.token) return false;
  const margin = Math.min(30000, conn.ttl * 0.1);
  return Date.now() < conn.expiresAt - margin;
}

// exchange trades the API key for a token: {ok} | {fatal, message, badKey} |
// {message, after}; a message is a msg() or server().
async function exchange() {
  conn.token = '';
  let res;
  try {
    res = await fetch('/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ api_key: conn.key }),
      cache: 'no-store',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(FETCH_TIMEOUT),
    });
  } catch (err) {
    return { message: msg(err && err.name === 'TimeoutError' ? 'd.noAnswer' : 'd.unreachable') };
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (res.ok && body && typeof body.token === 'string' && body.token) {
    const ttl = Math.max(1, Number(body.expires_in) || 3600) * 1000;
    conn.token = body.token;
    conn.ttl = ttl;
    conn.expiresAt = Date.now() + ttl;
    conn.user = String(body.user_id || '');
    conn.role = String(body.role || '');
    return { ok: true };
  }
  const message = server((body && typeof body.message === 'string' && body.message) || `HTTP ${res.status}`);
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    return { fatal: true, message, badKey: res.status === 401 };
  }
  if (res.status === 429) {
    const after = parseInt(res.headers.get('Retry-After') || '', 10);
    return { message, after: Number.isFinite(after) && after > 0 ? after * 1000 : undefined };
  }
  return { message }; // 5xx and the like: try again later
}

function openSocket(gen) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${proto}//${location.host}/ws/ticker?x-auth-token=${encodeURIComponent(conn.token)}`;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (err) {
    retry(msg('d.cannotOpen'));
    return;
  }
  conn.ws = ws;
  let opened = false;
  conn.openTimer = setTimeout(() => {
    if (gen !== conn.gen || opened) return;
    dropSocket();
    retry(msg('d.openTimeout'));
  }, OPEN_TIMEOUT);

  ws.onopen = () => {
    if (gen !== conn.gen) return;
    opened = true;
    clearTimeout(conn.openTimer);
    conn.lastRx = Date.now();
    conn.pingTimer = setInterval(keepalive, PING_EVERY);
  };
  ws.onmessage = (ev) => {
    if (gen !== conn.gen) return;
    conn.lastRx = Date.now();
    if (typeof ev.data === 'string') onFrame(ev.data);
  };
  ws.onerror = () => { /* a close event follows with the details */ };
  ws.onclose = (ev) => {
    if (gen !== conn.gen) return;
    conn.ws = null;
    clearTimers();
    onClose(ev, opened);
  };
}

function keepalive() {
  const ws = conn.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  if (Date.now() - conn.lastRx > SILENCE_LIMIT) {
    dropSocket(4000, 'keepalive timeout');
    retry(msg('d.silent'));
    return;
  }
  try { ws.send('{"type":"ping"}'); } catch { /* the close event will tell */ }
}

function onClose(ev, opened) {
  if (conn.liveSince && Date.now() - conn.liveSince >= STABLE_AFTER) conn.attempt = 0;
  conn.liveSince = 0;
  const reason = ev.reason ? server(ev.reason) : null;
  switch (ev.code) {
    case 4401: // token expired: exchange the key again, at once the first time
      conn.token = '';
      retry(msg('d.renewing'), conn.attempt === 0 ? 0 : undefined);
      return;
    case 4403: // key revoked: never retry with it
      conn.token = '';
      conn.key = '';
      store.del(KEY_STORE);
      setStatus('revoked', msg('d.revoked'), true);
      return;
    case 4409: // another connection of this client took over
      setStatus('error', reason || msg('d.replaced'));
      return;
    case 1001:
      retry(reason || msg('d.restarting'));
      return;
    case 1009:
      retry(reason || msg('d.tooBig'));
      return;
    default:
      if (!opened) {
        // The handshake was refused (a token the server no longer
        // accepts?) or the server is unreachable: get a fresh token.
        conn.token = '';
        retry(msg('d.liveRefused'));
      } else {
        retry(reason || (ev.code === 1006 ? msg('d.lost') : msg('d.closed', { code: ev.code })));
      }
  }
}

// retry schedules start() with exponential backoff and jitter.
function retry(reason, after) {
  const gen = ++conn.gen;
  clearTimers();
  const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** conn.attempt);
  let delay = base / 2 + Math.random() * (base / 2);
  if (after !== undefined) delay = after === 0 ? 0 : Math.max(after, delay);
  conn.attempt = Math.min(conn.attempt + 1, 30);
  conn.retryAt = Date.now() + delay;
  setStatus('reconnecting', reason);
  conn.retryTimer = setTimeout(() => { if (gen === conn.gen) start(); }, delay);
}

// fail stops: the user has to act (a bad key, a bad request).
function fail(message, badKey) {
  conn.gen++;
  clearTimers();
  dropSocket();
  if (badKey) {
    // Never keep a key the server refuses.
    store.del(KEY_STORE);
    conn.token = '';
  }
  setStatus('error', message, true);
}

function disconnect() {
  conn.gen++;
  clearTimers();
  dropSocket(1000, 'bye');
  conn.liveSince = 0;
  setStatus('disconnected', msg('d.resume'));
}

function forget() {
  disconnect();
  store.del(KEY_STORE);
  store.del(BASELINE_STORE);
  conn.key = '';
  conn.token = '';
  conn.everLive = false;
  ui.key.value = '';
  setKeyVisible(false);
  clearMarket();
  setStatus('disconnected', msg('d.forgotten'));
  ui.key.focus();
}

// ---- frames ----

function onFrame(text) {
  let msg;
  try { msg = JSON.parse(text); } catch { return; }
  if (!msg || typeof msg !== 'object') return;
  switch (msg.type) {
    case 'welcome':
      if (msg.user_id) conn.user = String(msg.user_id);
      goLive();
      break;
    case 'ticker':
      if (conn.state !== 'live') goLive();
      onTicker(msg);
      break;
    default: // pong and anything newer
  }
}

function goLive() {
  conn.everLive = true;
  conn.liveSince = Date.now();
  const role = conn.role;
  setStatus('live', conn.user ? msg('d.signedIn', { user: conn.user, role: () => (role ? roleName(role) : '') }) : null);
}

function onTicker(msg) {
  market.frames++;
  if (Number.isFinite(msg.seq)) market.seq = msg.seq;
  if (!Array.isArray(msg.data)) return;
  let newBase = false;
  for (const q of msg.data) {
    if (!q || typeof q.symbol !== 'string' || !Number.isFinite(q.price)) continue;
    if (!market.latest.has(q.symbol)) market.order.push(q.symbol);
    market.latest.set(q.symbol, { price: q.price, ts: q.timestamp });
    if (Number.isFinite(q.timestamp) && q.timestamp > market.ts) market.ts = q.timestamp;
    if (!market.baseline.has(q.symbol) && q.price > 0) {
      market.baseline.set(q.symbol, q.price);
      newBase = true;
    }
  }
  if (newBase) saveBaseline();
  schedule();
}

// ---- drawing: at most once per animation frame ----

let rafPending = false;
function schedule() {
  market.dirty = true;
  if (rafPending) return;
  rafPending = true;
  requestAnimationFrame(render);
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function render() {
  rafPending = false;
  if (!market.dirty) return;
  market.dirty = false;
  ui.empty.hidden = market.order.length > 0;
  ui.reset.disabled = market.order.length === 0;
  for (const symbol of market.order) {
    const q = market.latest.get(symbol);
    const row = market.rows.get(symbol) || addRow(symbol);
    setText(row.price, formatPrice(symbol, q.price));
    drawChange(row, symbol, q.price);
  }
  if (market.sparkDirty) {
    market.sparkDirty = false;
    for (const symbol of market.order) drawSpark(symbol);
  }
  setText(ui.seq, market.seq ? i18n.fmtNumber(market.seq) : '–');
  setText(ui.updated, market.ts ? i18n.fmtTimeSeconds(new Date(market.ts * 1000)) : '–');
}

function svgEl(name, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
}
function el(name, cls, text) {
  const e = document.createElement(name);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function addRow(symbol) {
  const base = symbol.split('-')[0] || symbol;
  const tr = el('tr');
  tr.dataset.symbol = symbol;

  const th = el('th');
  th.scope = 'row';
  const sym = el('div', 'sym');
  const coin = el('span', `coin ${base.toLowerCase()}`, base.slice(0, 4));
  coin.setAttribute('aria-hidden', 'true');
  const names = el('span', 'sym-text');
  names.append(el('span', 'sym-code', symbol), el('span', 'sym-name', NAMES[base] || base));
  sym.append(coin, names);
  th.append(sym);

  const tdPrice = el('td', 'num');
  const price = el('span', 'price');
  tdPrice.append(price);

  const tdChange = el('td', 'num change');
  const chg = el('span', 'chg flat');
  const dir = el('span', 'sr-only', t('dir.flat'));
  const abs = el('span', 'abs');
  const pct = el('span', 'pct');
  const arrow = el('span', 'arrow', '●');
  arrow.setAttribute('aria-hidden', 'true');
  const pctText = el('span', '');
  pct.append(arrow, pctText);
  chg.append(dir, abs, pct);
  tdChange.append(chg);

  const tdTrend = el('td', 'trend');
  const svg = svgEl('svg', { class: 'spark', viewBox: '0 0 120 32', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' });
  const area = svgEl('polygon', { points: '' });
  const line = svgEl('polyline', { points: '' });
  svg.append(area, line);
  tdTrend.append(svg);

  tr.append(th, tdPrice, tdChange, tdTrend);
  ui.rows.append(tr);
  const row = { tr, price, chg, dir, abs, pctText, arrow, svg, area, line, cls: 'flat' };
  market.rows.set(symbol, row);
  return row;
}

function drawChange(row, symbol, price) {
  const base = market.baseline.get(symbol);
  let diff = 0;
  let pct = 0;
  if (base) {
    diff = price - base;
    pct = (diff / base) * 100;
  }
  // Direction from the rounded values, so "+0.00" never shows as up.
  const cents = Math.round(diff * 100);
  const cls = cents > 0 ? 'up' : cents < 0 ? 'down' : 'flat';
  if (row.cls !== cls) {
    row.cls = cls;
    row.chg.className = `chg ${cls}`;
    row.arrow.textContent = cls === 'up' ? '▲' : cls === 'down' ? '▼' : '●';
    row.dir.textContent = t(`dir.${cls}`);
  }
  const { plain2, signed2 } = formats();
  setText(row.abs, cents === 0 ? plain2.format(0) : minus(signed2.format(cents / 100)));
  setText(row.pctText, `${cents === 0 ? plain2.format(0) : minus(signed2.format(pct))}%`);
}

function sampleSparks() {
  if (conn.state !== 'live') return;
  for (const [symbol, q] of market.latest) {
    let pts = market.spark.get(symbol);
    if (!pts) market.spark.set(symbol, (pts = []));
    pts.push(q.price);
    if (pts.length > SPARK_POINTS) pts.splice(0, pts.length - SPARK_POINTS);
  }
  market.sparkDirty = true;
  schedule();
}

function drawSpark(symbol) {
  const row = market.rows.get(symbol);
  const pts = market.spark.get(symbol);
  if (!row || !pts || pts.length < 2) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of pts) { if (p < lo) lo = p; if (p > hi) hi = p; }
  const span = hi - lo || 1;
  // The line spans the whole width: 30 s once the window is full, the
  // time since connecting before that.
  const step = 120 / (pts.length - 1);
  const x0 = 0;
  let line = '';
  for (let i = 0; i < pts.length; i++) {
    const x = x0 + i * step;
    const y = 30 - ((pts[i] - lo) / span) * 28;
    line += `${x.toFixed(1)},${y.toFixed(1)} `;
  }
  row.line.setAttribute('points', line);
  row.area.setAttribute('points', `${x0.toFixed(1)},32 ${line}120,32`);
}

function clearMarket() {
  for (const row of market.rows.values()) row.tr.remove();
  market.rows.clear();
  market.order = [];
  market.latest.clear();
  market.spark.clear();
  market.baseline.clear();
  market.seq = 0;
  market.ts = 0;
  schedule();
}

function resetBaseline() {
  market.baseline.clear();
  for (const [symbol, q] of market.latest) market.baseline.set(symbol, q.price);
  saveBaseline();
  schedule();
}

// ---- once a second: frames/s, countdowns, token lifetime ----

let lastSample = performance.now();
function everySecond() {
  const now = performance.now();
  const fps = market.frames / ((now - lastSample) / 1000);
  market.frames = 0;
  lastSample = now;
  setText(ui.fps, conn.state === 'live' ? i18n.fmtNumber(Math.round(fps)) : '0');
  drawSession();
}

function drawSession() {
  if (conn.token && conn.expiresAt) {
    setText(ui.session, `${conn.user || t('stats.token')} · ${formatDuration(conn.expiresAt - Date.now())}`);
    ui.session.title = t('stats.sessionTitle');
  } else {
    setText(ui.session, '–');
  }
}

// ---- key field ----

function setKeyVisible(show) {
  ui.key.type = show ? 'text' : 'password';
  ui.toggle.setAttribute('aria-pressed', String(show));
  const label = t(show ? 'key.hide' : 'key.show');
  ui.toggle.setAttribute('aria-label', label);
  ui.toggle.title = label;
}

// ---- wiring ----

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const fromButton = document.activeElement === ui.connect;
  connect();
  // A disabled button loses the focus: keep it on the next useful control.
  if (fromButton && ui.connect.disabled) ui.disconnect.focus();
});
ui.disconnect.addEventListener('click', () => {
  const hadFocus = document.activeElement === ui.disconnect;
  disconnect();
  if (hadFocus) ui.connect.focus();
});
ui.forget.addEventListener('click', forget);
ui.reset.addEventListener('click', resetBaseline);
ui.toggle.addEventListener('click', () => {
  setKeyVisible(ui.key.type === 'password');
  ui.key.focus();
});
ui.key.addEventListener('input', () => {
  ui.key.setAttribute('aria-invalid', 'false');
  updateConnectButton();
});
ui.key.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && ui.key.type === 'text') setKeyVisible(false);
});

// Back online: do not sit out the rest of a long backoff.
window.addEventListener('online', () => {
  if (conn.state === 'reconnecting') start();
});
// Leaving the page: say goodbye properly; coming back from the
// back/forward cache: resume.
window.addEventListener('pagehide', () => dropSocket(1000, 'page closed'));
window.addEventListener('pageshow', (ev) => {
  if (ev.persisted && conn.key && conn.state !== 'disconnected' && conn.state !== 'error' && conn.state !== 'revoked') start();
});

// ---- language: the PT | EN switch redraws every text at once ----

// redrawTexts says again, in the language just chosen, what the page shows:
// i18n.translate has done the fixed texts of the markup.
function redrawTexts() {
  setText(ui.statusDetail, say(conn.detail));
  refreshLabels();
  updateConnectButton();
  drawEmptyHint();
  setKeyVisible(ui.key.type === 'text');
  drawSession();
  for (const row of market.rows.values()) row.cls = ''; // direction words
  schedule(); // prices, changes, seq and time in the new locale
}

i18n.mountSwitch($('lang'));
// Times in the fair's time zone (COINOP_TIMEZONE), as on the other pages;
// until the configuration arrives (or if it cannot be had), the browser's.
getConfig().then((cfg) => {
  i18n.setTimeZone(cfg.timezone);
  schedule();
}).catch(() => {});
i18n.translate(document);
i18n.onChange(redrawTexts);
redrawTexts();

setInterval(everySecond, 1000);
setInterval(() => { if (conn.state === 'reconnecting') refreshLabels(); }, 250);
setInterval(sampleSparks, SPARK_EVERY);

// A key kept from earlier in this tab reconnects at once.
const saved = store.get(KEY_STORE);
if (saved) {
  ui.key.value = saved;
  connect();
} else {
  setStatus('disconnected', msg('d.start'));
}
