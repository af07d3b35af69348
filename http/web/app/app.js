// coinop player app: sign in, a live balance, games, the machines and
// their products, buying with the machine's 2-digit code, transfers and
// the statement. No framework, no build step; the server's CSP allows only
// same-origin scripts, so everything lives in these files.

import { api, ApiError, getConfig, liveSocket } from '/shared/api.js';
import * as i18n from '/shared/i18n.js';
import { messages } from './messages.js';

i18n.addMessages(messages);
const { t } = i18n;

const $ = (id) => document.getElementById(id);
const BANK_ID = 1;
const PAGE = 20; // statement lines per page
const MACHINES_EVERY = 4000; // machine list refresh while the shop is open
const VIEWS = ['home', 'games', 'shop', 'buy', 'transfer', 'statement'];
const FINAL = new Set(['done', 'voided', 'unknown']);
const STAGE_RANK = { awaiting_code: 0, inserting_coin: 0, releasing: 1, done: 2, voided: 2, unknown: 2 };

const S = {
  cfg: null,
  me: null,
  balance: null,
  live: 'connecting',
  socket: null,
  everLive: false,
  games: [],
  products: new Map(), // id -> {name, image, type, price, description}
  machines: null, // from /api/v2/machines; null until loaded
  stmt: [], // newest first
  stmtMore: false,
  stmtLoading: false,
  ops: new Map(), // operation id -> latest event data
  buy: null,
  view: '',
  playing: new Map(), // game id -> {state, value, error}
  transferWait: 0, // ms epoch before which a transfer gets 429
  machinesTimer: 0,
};

// ---------------------------------------------------------------- helpers

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
const credits = (n) => t('credits', { n, s: i18n.fmtNumber(n) });
const signed = (n) => (n > 0 ? '+' : n < 0 ? '\u2212' : '') + i18n.fmtNumber(Math.abs(n));
const isURL = (s) => /^(https?:)?\/\//i.test(s) || s.startsWith('/') || s.startsWith('data:image/');

// picture draws a product image: an emoji or short text as text, a URL as
// an <img> (with the fallback if it does not load).
function picture(image, fallback, cls = 'pic') {
  const wrap = el('span', `${cls} emoji`);
  wrap.setAttribute('aria-hidden', 'true');
  if (image && isURL(image)) {
    const img = el('img');
    img.src = image;
    img.alt = '';
    img.loading = 'lazy';
    img.addEventListener('error', () => { wrap.textContent = fallback; });
    wrap.append(img);
  } else {
    wrap.textContent = image || fallback;
  }
  return wrap;
}

function idemKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// notice fills a .notice element: tone error|ok|warn|info, a title and an
// optional detail; empty title clears it.
function notice(node, tone, title, detail) {
  node.replaceChildren();
  if (!title) {
    delete node.dataset.tone;
    return;
  }
  node.dataset.tone = tone;
  const icon = el('span', 'notice-icon', tone === 'error' ? '!' : tone === 'ok' ? '✓' : tone === 'warn' ? '!' : 'i');
  icon.setAttribute('aria-hidden', 'true');
  const body = el('div', 'notice-body');
  body.append(el('strong', '', title));
  if (detail) body.append(el('span', 'notice-detail', detail));
  if (tone === 'info' && title.endsWith('…')) icon.replaceChildren(el('span', 'spinner'));
  node.append(icon, body);
}

// describe turns an ApiError into words for the person.
function describe(err) {
  if (!(err instanceof ApiError)) return t('err.generic', { status: '?' });
  if (err.status === 0) return t('err.network');
  if (err.status === 401) return t('err.unauthorized');
  if (err.status === 429) return t('err.rate', { when: whenText(err.retryAfter || 60) });
  if (err.status === 400 || err.status === 403) return err.message;
  return t('err.generic', { status: err.status });
}

// whenText: "às 16:47 (em 5 minutos)" style, in the fair's zone.
function whenText(seconds) {
  const at = new Date(Date.now() + seconds * 1000);
  return `${i18n.fmtTime(at)} (${i18n.fmtIn(seconds)})`;
}

function reasonText(reason) {
  if (!reason) return '';
  const key = `reason.${reason}`;
  return i18n.has(key) ? t(key) : reason;
}

// ---------------------------------------------------------------- boot

async function boot() {
  i18n.mountSwitch($('lang'));
  i18n.translate(document);
  i18n.onChange(renderAll);
  window.addEventListener('hashchange', route);
  wire();
  try {
    S.cfg = await getConfig();
  } catch (err) {
    bootError(err);
    return;
  }
  i18n.setTimeZone(S.cfg.timezone);
  $('demo-banner').hidden = !S.cfg.demo;
  let me = null;
  try {
    me = await api('/api/v2/me');
  } catch (err) {
    if (err.status !== 401) {
      bootError(err);
      return;
    }
  }
  $('boot').hidden = true;
  if (me) startSession(me);
  else showLogin();
}

function bootError(err) {
  $('boot').hidden = true;
  const box = $('boot-error');
  box.hidden = false;
  notice(box, 'error', describe(err));
  const retry = el('button', 'btn small', '↻');
  retry.type = 'button';
  retry.setAttribute('aria-label', 'Retry');
  retry.addEventListener('click', () => location.reload());
  box.append(retry);
}

// ---------------------------------------------------------------- sign in

function showLogin(message) {
  S.me = null;
  document.body.dataset.auth = 'out';
  $('tabs').hidden = true;
  $('logout').hidden = true;
  for (const v of VIEWS) $(`view-${v}`).hidden = true;
  $('view-login').hidden = false;
  const google = !!S.cfg.login;
  const demo = !!S.cfg.demo;
  $('google-login').hidden = !google;
  $('demo-login').hidden = !demo;
  $('login-or').hidden = !(google && demo);
  $('login-none').hidden = google || demo;
  notice($('login-status'), message ? 'warn' : '', message || '');
  document.title = `${t('login.title')} · coinop`;
  if (location.hash) history.replaceState(null, '', location.pathname);
  if (demo) $('demo-name').focus();
}

async function demoLogin(ev) {
  ev.preventDefault();
  const input = $('demo-name');
  const name = input.value.trim();
  if (!name) {
    input.setAttribute('aria-invalid', 'true');
    notice($('login-status'), 'error', t('login.needName'));
    input.focus();
    return;
  }
  input.setAttribute('aria-invalid', 'false');
  const btn = $('demo-submit');
  btn.disabled = true;
  notice($('login-status'), 'info', t('login.signingIn'));
  try {
    await api('/api/v2/demo/login', { method: 'POST', body: { name } });
    const me = await api('/api/v2/me');
    notice($('login-status'), '', '');
    await startSession(me);
    const h = $('home-title');
    h.tabIndex = -1;
    h.focus({ preventScroll: true }); // the form is gone: land on the home
  } catch (err) {
    input.setAttribute('aria-invalid', String(err.status === 400));
    notice($('login-status'), 'error', describe(err));
    input.focus();
  } finally {
    btn.disabled = false;
  }
}

async function logout() {
  try {
    await api('/api/v2/auth/logout', { method: 'POST' });
  } catch { /* the cookie is cleared anyway on the next 401 */ }
  endSession();
}

function endSession(message) {
  if (S.socket) S.socket.close();
  S.socket = null;
  clearInterval(S.machinesTimer);
  Object.assign(S, { me: null, balance: null, stmt: [], ops: new Map(), buy: null, machines: null, everLive: false, playing: new Map() });
  showLogin(message);
}

// ---------------------------------------------------------------- session

async function startSession(me) {
  S.me = me;
  S.balance = me.balance ?? null;
  document.body.dataset.auth = 'in';
  $('view-login').hidden = true;
  $('tabs').hidden = false;
  $('logout').hidden = false;
  S.transferWait = Number(loadLocal(`coinop.transferWait.${me.id}`)) || 0;
  renderHome();
  route(true);
  S.socket = liveSocket('/api/v2/events', {
    onMessage: onEvent,
    onState: setLive,
    onGiveUp: async () => {
      try {
        await api('/api/v2/me');
        return false;
      } catch (err) {
        if (err.status === 401) {
          endSession(t('err.unauthorized'));
          return true;
        }
        return false;
      }
    },
  });
  await Promise.allSettled([loadCatalogue(), loadStatement(true), loadMachines()]);
  resumeFromStatement();
  renderAll();
}

function loadLocal(k) { try { return localStorage.getItem(k); } catch { return null; } }
function saveLocal(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode */ } }

async function loadCatalogue() {
  const [games, products] = await Promise.all([
    api('/api/v2/games').catch(() => []),
    api('/api/v2/products').catch(() => []),
  ]);
  S.games = games || [];
  for (const g of S.games) S.products.set(g.product, { name: g.name, image: g.image, type: 'games', description: g.description, url: g.url });
  for (const p of products || []) S.products.set(p.product, { name: p.name, image: p.image, type: p.type, price: p.price, description: p.description });
}

let machinesDrawn = '';
async function loadMachines() {
  try {
    const ms = await api('/api/v2/machines');
    const json = JSON.stringify(ms);
    if (json === machinesDrawn && S.machines) return; // nothing changed: keep the DOM (and focus) as is
    machinesDrawn = json;
    S.machines = ms;
    for (const m of S.machines) {
      for (const s of m.slots) {
        if (!S.products.has(s.product)) S.products.set(s.product, { name: s.name, image: s.image, price: s.price, type: m.kind === 'arcade' ? 'arcade' : 'foods' });
      }
    }
  } catch (err) {
    if (err.status === 401) { endSession(t('err.unauthorized')); return; }
    if (!S.machines) notice($('shop-status'), 'error', describe(err));
  }
  renderShop();
}

// ---------------------------------------------------------------- live events

function setLive(state, info) {
  const wasLive = S.live === 'live';
  S.live = state;
  const pill = $('live');
  pill.dataset.state = state;
  setText($('live-text'), t(`live.${state}`));
  if (state === 'live') {
    // After a reconnect, catch up with what happened meanwhile.
    if (S.everLive && !wasLive) catchUp();
    S.everLive = true;
  }
  void info;
}

async function refreshBalance() {
  try {
    const b = await api('/api/v2/balance');
    setBalance(b.balance);
  } catch { /* the next event will tell */ }
}

async function catchUp() {
  try {
    const b = await api('/api/v2/balance');
    setBalance(b.balance);
  } catch { /* the next event will tell */ }
  await loadStatement(true);
  if (S.buy && !FINAL.has(S.buy.stage)) pollBuy();
}

function onEvent(msg) {
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'balance' && msg.data && Number.isFinite(msg.data.balance)) {
    setBalance(msg.data.balance);
  } else if (msg.type === 'operation' && msg.data && msg.data.operation) {
    const d = msg.data;
    S.ops.set(d.operation, d);
    upsertStatement(d);
    if (S.buy && S.buy.op === d.operation) applyBuy(d);
    if (d.kind === 'transfer' && d.to_id === S.me?.id && d.status === 'completed' && d.from_id !== S.me.id) {
      toast(`${t('op.transferIn', { name: d.from })}: ${signed(d.value)}`);
    }
    if (d.kind === 'debit') setTimeout(loadMachines, 300);
  }
}

function setBalance(n) {
  const old = S.balance;
  S.balance = n;
  renderBalance();
  if (old !== null && old !== n && S.view === 'home') {
    const delta = $('balance-delta');
    delta.textContent = signed(n - old);
    delta.dataset.dir = n > old ? 'up' : 'down';
    delta.classList.remove('show');
    void delta.offsetWidth; // restart the animation
    delta.classList.add('show');
  }
  if (S.view === 'transfer') renderTransferHints();
  if (S.buy) renderBuy();
}

// ---------------------------------------------------------------- routing

function route(initial) {
  if (!S.me) return;
  let v = location.hash.replace(/^#\/?/, '') || 'home';
  if (!VIEWS.includes(v)) v = 'home';
  if (v === 'buy' && !S.buy) {
    v = 'shop';
    history.replaceState(null, '', '#shop');
  }
  show(v, initial === true);
}

function show(v, initial) {
  const changed = S.view !== v;
  S.view = v;
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== v;
  for (const a of $('tabs').querySelectorAll('a[data-view]')) {
    const on = a.dataset.view === v || (v === 'buy' && a.dataset.view === 'shop');
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clearInterval(S.machinesTimer);
  if (v === 'shop') {
    loadMachines();
    S.machinesTimer = setInterval(() => { if (document.visibilityState === 'visible') loadMachines(); }, MACHINES_EVERY);
  }
  if (v === 'transfer') renderTransfer();
  if (v === 'home') renderHome();
  if (v === 'buy') renderBuy();
  setTitle();
  if (changed && !initial) {
    window.scrollTo(0, 0);
    if (v === 'buy' && S.buy && S.buy.stage === 'awaiting_code') $('code').focus();
    else {
      const h = $(`view-${v}`).querySelector('h1');
      if (h) {
        h.tabIndex = -1;
        h.focus({ preventScroll: true });
      }
    }
  }
}

function setTitle() {
  const names = { home: 'nav.home', games: 'games.title', shop: 'shop.title', buy: 'shop.title', transfer: 'transfer.title', statement: 'statement.title' };
  document.title = S.me ? `${t(names[S.view] || 'nav.home')} · coinop` : `${t('login.title')} · coinop`;
}

function renderAll() {
  setTitle();
  if (!S.me) {
    if (S.cfg) notice($('login-status'), '', '');
    return;
  }
  setText($('live-text'), t(`live.${S.live}`));
  renderHome();
  renderGames();
  renderShop();
  renderStatement();
  renderTransfer();
  if (S.buy) renderBuy();
}

// ---------------------------------------------------------------- home

function renderBalance() {
  const b = S.balance;
  setText($('balance'), b === null ? '–' : i18n.fmtNumber(b));
  setText($('balance-unit'), t('creditsUnit', { n: b ?? 0 }));
}

function renderHome() {
  if (!S.me) return;
  setText($('hello'), t('home.hello', { name: S.me.given_name || S.me.name }));
  setText($('my-id'), `#${S.me.id}`);
  renderBalance();
  drawOps($('recent'), S.stmt.slice(0, 5));
  $('recent-empty').hidden = S.stmt.length > 0 || S.stmtLoading;
  const b = S.buy;
  const resume = b && !FINAL.has(b.stage);
  $('resume').hidden = !resume;
  if (resume) setText($('resume-text'), ` · ${b.product.name}${b.machine.name ? ` · ${b.machine.name}` : ''}`);
}

// ---------------------------------------------------------------- statement

async function loadStatement(reset) {
  if (S.stmtLoading) return;
  S.stmtLoading = true;
  const btn = $('load-more');
  btn.disabled = true;
  if (!reset) setText(btn, t('statement.loading'));
  try {
    const before = !reset && S.stmt.length ? `&before=${S.stmt[S.stmt.length - 1].operation}` : '';
    const page = await api(`/api/v2/statement?limit=${PAGE}${before}`);
    if (reset) {
      // Keep lines already loaded beyond the first page.
      const ids = new Set(page.map((o) => o.operation));
      const oldest = page.length ? page[page.length - 1].operation : Infinity;
      const rest = S.stmt.filter((o) => !ids.has(o.operation) && o.operation < oldest);
      S.stmt = page.concat(page.length === PAGE ? rest : []);
      if (!rest.length || page.length < PAGE) S.stmtMore = page.length === PAGE;
    } else {
      const ids = new Set(S.stmt.map((o) => o.operation));
      S.stmt = S.stmt.concat(page.filter((o) => !ids.has(o.operation)));
      S.stmtMore = page.length === PAGE;
    }
    notice($('statement-status'), '', '');
  } catch (err) {
    if (err.status === 401) { endSession(t('err.unauthorized')); return; }
    notice($('statement-status'), 'error', describe(err));
  } finally {
    S.stmtLoading = false;
    btn.disabled = false;
    setText(btn, t('statement.more'));
  }
  renderStatement();
  renderHome();
  renderRecents();
}

let refreshTimer = 0;
// refreshSoon reloads the first statement page shortly (debounced).
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => loadStatement(true), 400);
}

function upsertStatement(d) {
  const line = { ...d };
  delete line.stage;
  const i = S.stmt.findIndex((o) => o.operation === line.operation);
  // Some events come without the names: keep those already known, and
  // fetch the line again when none is.
  for (const k of ['from', 'to', 'product']) {
    if (!line[k] && i >= 0 && S.stmt[i][k]) line[k] = S.stmt[i][k];
  }
  if (!line.from || !line.to) refreshSoon();
  if (i >= 0) S.stmt[i] = line;
  else {
    let j = 0;
    while (j < S.stmt.length && S.stmt[j].operation > line.operation) j++;
    if (j === S.stmt.length && S.stmtMore) return; // older than what is loaded
    S.stmt.splice(j, 0, line);
  }
  renderStatement();
  renderHome();
  renderRecents();
}

function dayLabel(d) {
  const key = i18n.dayKey(d);
  if (key === i18n.dayKey(new Date())) return t('statement.today');
  if (key === i18n.dayKey(new Date(Date.now() - 86400000))) return t('statement.yesterday');
  return i18n.fmtDayMonth(d);
}

function opView(o) {
  const me = S.me.id;
  const incoming = o.to_id === me && o.from_id !== me;
  const product = S.products.get(o.product_id);
  const productName = o.product || product?.name || '';
  let title;
  let kind;
  let icon;
  switch (o.kind) {
    case 'credit':
      title = productName || t('op.credit');
      kind = productName ? t('op.game') : '';
      icon = product?.image || '🎁';
      break;
    case 'debit':
      title = productName || t('op.debit');
      kind = t('op.purchase');
      icon = product?.image || '🛒';
      break;
    case 'transfer':
      title = incoming ? t('op.transferIn', { name: o.from }) : t('op.transferOut', { name: o.to });
      kind = `${t('op.transfer')} · #${incoming ? o.from_id : o.to_id}`;
      icon = incoming ? '📥' : '📤';
      break;
    default:
      title = productName || o.kind;
      kind = '';
      icon = '•';
  }
  return { incoming, title, kind, icon, image: product?.image };
}

function opItem(o, withDay) {
  const v = opView(o);
  const li = el('li', 'op');
  li.dataset.op = o.operation;
  li.dataset.status = o.status;
  li.dataset.kind = o.kind;
  li.append(picture(v.image || v.icon, v.icon, 'op-icon'));
  const main = el('div', 'op-main');
  main.append(el('span', 'op-title', v.title));
  const meta = el('span', 'op-meta');
  const when = new Date(o.timestamp);
  const time = el('time', 'num', withDay ? `${dayLabel(when)}, ${i18n.fmtTime(when)}` : i18n.fmtTime(when));
  time.dateTime = o.timestamp;
  time.title = i18n.fmtDateTime(when);
  meta.append(time);
  if (v.kind) meta.append(document.createTextNode(` · ${v.kind}`));
  if (o.status !== 'completed') {
    const tone = o.status === 'pending' ? 'warn' : o.status === 'voided' ? 'error' : 'accent';
    const badge = el('span', 'badge', t(`op.${o.status}`));
    badge.dataset.tone = tone;
    meta.append(' ', badge);
  }
  main.append(meta);
  if (o.reason && o.status !== 'completed') main.append(el('span', 'op-reason', reasonText(o.reason)));
  const value = el('span', `op-value num ${v.incoming ? 'in' : 'out'}`, signed(v.incoming ? o.value : -o.value));
  li.append(main, value);
  return li;
}

// drawOps draws a short list (home): each line says its day.
function drawOps(list, ops) {
  list.replaceChildren(...ops.map((o) => opItem(o, true)));
}

function renderStatement() {
  if (!S.me) return;
  const box = $('statement');
  box.replaceChildren();
  let group = null;
  let key = '';
  for (const o of S.stmt) {
    const d = new Date(o.timestamp);
    const k = i18n.dayKey(d);
    if (k !== key) {
      key = k;
      const sec = el('section', 'day');
      const h = el('h2', 'day-title', dayLabel(d));
      group = el('ol', 'ops');
      sec.append(h, group);
      box.append(sec);
    }
    group.append(opItem(o, false));
  }
  $('statement-empty').hidden = S.stmt.length > 0 || S.stmtLoading;
  $('load-more').hidden = !S.stmtMore;
  $('statement-end').hidden = S.stmtMore || S.stmt.length === 0;
  setText($('statement-sub'), t('statement.sub', { tz: i18n.zoneName() }));
}

// ---------------------------------------------------------------- games

function renderGames() {
  const list = $('games');
  setText($('games-sub'), S.cfg?.demo ? `${t('games.sub')} ${t('games.subDemo')}` : t('games.sub'));
  list.replaceChildren();
  for (const g of S.games) {
    const li = el('li', 'game card');
    li.dataset.game = g.product;
    li.append(picture(g.image, '🎮', 'game-pic'));
    const text = el('div', 'game-text');
    text.append(el('h2', 'game-name', g.name));
    if (g.description) text.append(el('p', 'sub', g.description));
    const actions = el('div', 'game-actions');
    const st = S.playing.get(g.product) || {};
    if (S.cfg.demo) {
      const b = el('button', 'btn primary small play');
      b.type = 'button';
      b.disabled = st.state === 'playing';
      if (st.state === 'playing') b.append(el('span', 'spinner'), el('span', '', t('games.playing')));
      else b.textContent = t('games.play');
      b.addEventListener('click', () => play(g.product));
      actions.append(b);
    } else if (g.url) {
      const a = el('a', 'btn small', t('games.open'));
      a.href = g.url;
      a.target = '_blank';
      a.rel = 'noopener';
      actions.append(a);
    }
    const result = el('p', 'game-result');
    result.setAttribute('role', 'status');
    result.setAttribute('aria-live', 'polite');
    if (st.state === 'won') {
      result.dataset.tone = 'ok';
      result.append(el('strong', 'won num', t('games.won', { n: i18n.fmtNumber(st.value) })));
    } else if (st.state === 'error') {
      result.dataset.tone = 'error';
      result.textContent = st.error;
    }
    actions.append(result);
    text.append(actions);
    li.append(text);
    list.append(li);
  }
  $('games-empty').hidden = S.games.length > 0;
}

async function play(game) {
  S.playing.set(game, { state: 'playing' });
  renderGames();
  try {
    const r = await api('/api/v2/demo/play', { method: 'POST', body: { game } });
    S.playing.set(game, { state: 'won', value: r.value });
  } catch (err) {
    if (err.status === 401) { endSession(t('err.unauthorized')); return; }
    S.playing.set(game, { state: 'error', error: describe(err) });
  }
  renderGames();
  const btn = $('games').querySelector(`[data-game="${game}"] .play`);
  if (btn && document.activeElement === document.body) btn.focus();
}

// ---------------------------------------------------------------- shop

function machineState(m) {
  if (!m.connected) return 'offline';
  if (m.busy) return 'busy';
  return 'online';
}

function renderShop() {
  if (!S.me || !S.machines) return;
  const box = $('machines');
  const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.key : '';
  box.replaceChildren();
  const mine = S.buy && !FINAL.has(S.buy.stage) ? S.buy.machine.id : 0;
  for (const m of S.machines) {
    const state = machineState(m);
    const card = el('article', 'machine card');
    card.dataset.machine = m.id;
    card.dataset.kind = m.kind;
    card.dataset.state = state;
    const head = el('header', 'machine-head');
    const titles = el('div', 'machine-titles');
    const h = el('h2', '', m.name);
    h.id = `machine-${m.id}-name`;
    titles.append(h, el('p', 'sub', [t(m.kind === 'arcade' ? 'shop.arcade' : 'shop.vending'), m.location].filter(Boolean).join(' · ')));
    const badge = el('span', 'badge machine-state');
    badge.dataset.tone = state === 'online' ? 'ok' : state === 'busy' ? 'warn' : '';
    badge.append(el('span', 'state-dot'), t(`shop.${state}`));
    head.append(titles, badge);
    card.append(head);
    if (state !== 'online' && m.id !== mine) card.append(el('p', 'machine-note', t(state === 'busy' ? 'shop.busyNote' : 'shop.offlineNote')));
    if (!m.slots.length) card.append(el('p', 'machine-note', t('shop.noSlots')));
    const list = el('ul', m.kind === 'arcade' ? 'arcade-items' : 'slots');
    list.setAttribute('aria-labelledby', h.id);
    for (const s of m.slots) {
      const soldOut = s.quantity <= 0;
      const li = el('li');
      const b = el('button', m.kind === 'arcade' ? 'arcade-item' : 'slot');
      b.type = 'button';
      b.dataset.key = `${m.id}:${s.slot}`;
      b.dataset.product = s.product;
      b.disabled = soldOut || state !== 'online';
      if (soldOut) b.classList.add('sold-out');
      b.setAttribute('aria-label', `${t('shop.buyLabel', { name: s.name, price: credits(s.price), machine: m.name })}${soldOut ? ` (${t('shop.soldOut')})` : ''}`);
      b.append(picture(s.image, m.kind === 'arcade' ? '🕹️' : '🍬', 'slot-pic'));
      const stock = el('span', `slot-stock num${soldOut ? ' out' : ''}`, soldOut ? t('shop.soldOut') : t('shop.left', { n: s.quantity, s: i18n.fmtNumber(s.quantity) }));
      b.append(el('span', 'slot-name', s.name), stock, el('span', 'slot-price num', credits(s.price)));
      b.addEventListener('click', () => startBuy(m, s));
      li.append(b);
      list.append(li);
    }
    card.append(list);
    box.append(card);
  }
  $('machines-empty').hidden = S.machines.length > 0;
  if (focused) {
    const again = box.querySelector(`[data-key="${focused}"]`);
    if (again && !again.disabled) again.focus();
  }
}

async function startBuy(m, s) {
  if (S.buy && !FINAL.has(S.buy.stage)) {
    location.hash = '#buy';
    return;
  }
  const status = $('shop-status');
  notice(status, 'info', t('shop.starting'));
  for (const b of $('machines').querySelectorAll('button')) b.disabled = true;
  let r;
  try {
    r = await api('/api/v2/debit', { method: 'POST', body: { product: s.product, machine: m.id }, headers: { 'Idempotency-Key': idemKey() } });
  } catch (err) {
    if (err.status === 401) { endSession(t('err.unauthorized')); return; }
    let msg = describe(err);
    if (err.status === 402) msg = t('err.funds', { price: credits(s.price), balance: credits(S.balance ?? 0) });
    else if (err.status === 403 && /out of stock/i.test(err.message)) msg = t('err.soldOut');
    else if (err.status === 403 && /busy|not connected|could not be reached/i.test(err.message)) msg = t('err.machineBusy');
    notice(status, 'error', msg);
    machinesDrawn = '';
    await loadMachines();
    return;
  }
  notice(status, '', '');
  machinesDrawn = '';
  S.buy = {
    op: r.operation,
    kind: m.kind,
    machine: { id: m.id, name: m.name },
    product: { id: s.product, name: s.name, image: s.image, price: s.price },
    stage: m.kind === 'arcade' ? 'inserting_coin' : 'awaiting_code',
    status: 'pending',
    reason: '',
    attempts: 3,
    checking: false,
    announced: '',
  };
  S.buy.seen = [S.buy.stage];
  const early = S.ops.get(r.operation);
  if (early) applyBuy(early);
  $('code').value = '';
  notice($('buy-status'), '', '');
  location.hash = '#buy';
  pollBuy();
}

// resumeFromStatement picks up a purchase still pending after a reload.
function resumeFromStatement() {
  if (S.buy) return;
  const o = S.stmt.find((x) => x.kind === 'debit' && x.status === 'pending' && x.from_id === S.me.id);
  if (!o || Date.now() - new Date(o.timestamp).getTime() > 5 * 60 * 1000) return;
  const p = S.products.get(o.product_id) || {};
  const arcade = p.type === 'arcade';
  const m = (S.machines || []).find((x) => x.busy && x.slots.some((s) => s.product === o.product_id)) || { id: 0, name: '' };
  S.buy = {
    op: o.operation, kind: arcade ? 'arcade' : 'vending', machine: { id: m.id, name: m.name },
    product: { id: o.product_id, name: o.product, image: p.image, price: o.value },
    stage: arcade ? 'inserting_coin' : 'awaiting_code', status: 'pending', reason: '', attempts: 3, checking: false, announced: '',
  };
  S.buy.seen = [S.buy.stage];
  pollBuy();
}

// ---------------------------------------------------------------- buying

function applyBuy(d) {
  const b = S.buy;
  if (!b || d.operation !== b.op) return;
  let stage = d.stage || b.stage;
  if (d.status === 'completed') stage = 'done';
  else if (d.status === 'voided') stage = 'voided';
  else if (d.status === 'unknown') stage = 'unknown';
  if (STAGE_RANK[stage] < STAGE_RANK[b.stage]) return; // a late, older event
  b.stage = stage;
  if (!b.seen.includes(stage)) b.seen.push(stage);
  b.status = d.status;
  if (d.reason) b.reason = d.reason;
  renderBuy();
  renderHome();
}

let pollTimer = 0;
// pollBuy watches the purchase through the statement too, in case the
// live connection misses an event.
function pollBuy() {
  clearTimeout(pollTimer);
  const b = S.buy;
  if (!b || FINAL.has(b.stage)) return;
  pollTimer = setTimeout(async () => {
    if (!S.buy || S.buy.op !== b.op) return;
    if (S.live !== 'live') {
      try {
        const page = await api('/api/v2/statement?limit=10');
        const o = page.find((x) => x.operation === b.op);
        if (o && o.status !== 'pending') applyBuy(o);
      } catch { /* try again */ }
    }
    pollBuy();
  }, 2500);
}

function stepState(li, state) {
  li.dataset.state = state;
  if (state === 'current') li.setAttribute('aria-current', 'step');
  else li.removeAttribute('aria-current');
}

function renderBuy() {
  const b = S.buy;
  if (!b) return;
  const arcade = b.kind === 'arcade';
  const card = $('buy-card');
  card.dataset.stage = b.stage;
  card.dataset.seen = b.seen.join(' '); // the stages shown, in order
  card.dataset.kind = b.kind;
  const pic = $('buy-emoji');
  pic.replaceChildren(picture(b.product.image, arcade ? '🕹️' : '🍬', 'buy-pic'));
  setText($('buy-title'), b.product.name);
  setText($('buy-sub'), t('buy.sub', { price: credits(b.product.price), machine: b.machine.name || t(arcade ? 'shop.arcade' : 'shop.vending') }));

  const steps = [...$('buy-steps').children];
  setText($('step1-label'), t(arcade ? 'buy.stepCoin' : 'buy.stepCode'));
  setText($('step2-label'), t('buy.stepReleasing'));
  steps[1].hidden = arcade;
  const rank = STAGE_RANK[b.stage];
  const failed = b.stage === 'voided' || b.stage === 'unknown';
  if (arcade) {
    stepState(steps[0], rank === 0 ? 'current' : failed ? 'failed' : 'done');
    stepState(steps[2], b.stage === 'done' ? 'done' : 'todo');
  } else {
    stepState(steps[0], rank === 0 ? 'current' : failed && !b.released ? 'failed' : 'done');
    if (b.stage === 'releasing') b.released = true;
    stepState(steps[1], rank === 1 ? 'current' : b.stage === 'done' ? 'done' : failed && b.released ? 'failed' : 'todo');
    stepState(steps[2], b.stage === 'done' ? 'done' : 'todo');
  }

  const panel = b.stage === 'awaiting_code' ? 'code' : b.stage === 'done' ? 'done' : failed ? 'failed' : 'wait';
  for (const p of ['code', 'wait', 'done', 'failed']) $(`panel-${p}`).hidden = p !== panel;
  $('buy-actions').hidden = !FINAL.has(b.stage);

  const machine = b.machine.name || t('shop.vending');
  let say = '';
  if (panel === 'code') {
    setText($('code-lead'), t('buy.codeLead', { machine }));
    setText($('code-hint'), t('buy.codeHint', { n: b.attempts }));
    $('code').disabled = b.checking;
    $('code-submit').disabled = b.checking;
    say = `${t('buy.codeLead', { machine })} ${t('buy.codeLead2')}`;
  } else if (panel === 'wait') {
    const text = b.stage === 'inserting_coin' ? t('buy.inserting', { machine }) : t('buy.releasing', { product: b.product.name });
    setText($('wait-text'), text);
    say = text;
  } else if (panel === 'done') {
    const vars = { product: b.product.name, machine, price: credits(b.product.price), balance: credits(S.balance ?? 0) };
    setText($('done-title'), t(arcade ? 'buy.doneArcadeTitle' : 'buy.doneTitle'));
    setText($('done-text'), t(arcade ? 'buy.doneArcadeText' : 'buy.doneText', vars));
    say = $('done-title').textContent;
  } else {
    const unknown = b.stage === 'unknown';
    setText($('failed-title'), t(unknown ? 'buy.unknownTitle' : 'buy.voidedTitle'));
    const why = reasonText(b.reason);
    setText($('failed-text'), unknown ? t('buy.unknownText') : `${why ? `${why} ` : ''}${t('buy.voidedText')}`);
    say = `${$('failed-title').textContent}. ${$('failed-text').textContent}`;
  }
  if (panel !== 'code') notice($('buy-status'), '', '');
  if (b.announced !== panel) {
    const first = b.announced === '';
    b.announced = panel;
    setText($('buy-live'), say);
    if (!first && S.view === 'buy') {
      if (panel === 'done') $('done-title').focus({ preventScroll: true });
      if (panel === 'failed') $('failed-title').focus({ preventScroll: true });
    }
  }
}

async function submitCode(ev) {
  ev.preventDefault();
  const b = S.buy;
  if (!b || b.stage !== 'awaiting_code' || b.checking) return;
  const input = $('code');
  const code = input.value.replace(/\D/g, '');
  if (code.length !== 2) {
    input.setAttribute('aria-invalid', 'true');
    notice($('buy-status'), 'error', t('buy.codeNeed'));
    input.focus();
    return;
  }
  input.setAttribute('aria-invalid', 'false');
  b.checking = true;
  notice($('buy-status'), 'info', t('buy.checking'));
  renderBuy();
  try {
    await api('/api/v2/mfa', { method: 'POST', body: { operation: b.op, code: Number(code) } });
    b.checking = false;
    notice($('buy-status'), '', '');
    applyBuy({ operation: b.op, stage: 'releasing', status: 'pending' });
  } catch (err) {
    b.checking = false;
    if (err.status === 401) { endSession(t('err.unauthorized')); return; }
    if (err.status === 403 && /wrong code/i.test(err.message)) {
      b.attempts = Math.max(0, b.attempts - 1);
      if (b.attempts === 0) {
        applyBuy({ operation: b.op, status: 'voided', reason: 'wrong code too many times' });
        return;
      }
      notice($('buy-status'), 'error', t('buy.wrongCode'));
      input.setAttribute('aria-invalid', 'true');
    } else if (err.status === 403) {
      // Not waiting for a code any more (expired, cancelled): ask how it ended.
      try {
        const page = await api('/api/v2/statement?limit=10');
        const o = page.find((x) => x.operation === b.op);
        if (o && o.status !== 'pending') {
          applyBuy(o);
          return;
        }
      } catch { /* fall through */ }
      notice($('buy-status'), 'error', describe(err));
    } else {
      notice($('buy-status'), 'error', describe(err));
    }
    renderBuy();
    input.select();
    input.focus();
  }
}

// ---------------------------------------------------------------- transfer

function counterparts() {
  const seen = new Map();
  const me = S.me.id;
  for (const o of S.stmt) {
    if (o.kind !== 'transfer') continue;
    const other = o.from_id === me ? { id: o.to_id, name: o.to } : { id: o.from_id, name: o.from };
    if (other.id === me || other.id === BANK_ID || seen.has(other.id)) continue;
    seen.set(other.id, other);
    if (seen.size >= 6) break;
  }
  return [...seen.values()];
}

function renderRecents() {
  if (!S.me) return;
  const people = counterparts();
  const box = $('recents');
  const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.id : '';
  box.replaceChildren();
  const to = parseInt($('to').value, 10);
  for (const p of people) {
    const b = el('button', 'chip');
    b.type = 'button';
    b.dataset.id = p.id;
    b.setAttribute('aria-pressed', String(p.id === to));
    const avatar = el('span', 'avatar', (p.name || '?').trim().charAt(0).toUpperCase());
    avatar.setAttribute('aria-hidden', 'true');
    b.append(avatar, el('span', 'chip-name', p.name), el('span', 'chip-id num', `#${p.id}`));
    b.addEventListener('click', () => {
      $('to').value = String(p.id);
      renderTransferHints();
      renderRecents();
      $('value').focus();
    });
    box.append(b);
  }
  $('recents-box').hidden = people.length === 0;
  if (focused) box.querySelector(`[data-id="${focused}"]`)?.focus();
}

function renderTransfer() {
  if (!S.me) return;
  renderRecents();
  renderTransferHints();
}

function renderTransferHints() {
  const to = parseInt($('to').value, 10);
  const known = counterparts().find((p) => p.id === to);
  let hint = t('transfer.toHint');
  if (to === S.me.id) hint = t('transfer.toSelf');
  else if (known) hint = t('transfer.toKnown', { name: known.name });
  setText($('to-hint'), hint);
  $('to-hint').dataset.tone = to === S.me.id ? 'warn' : known ? 'ok' : '';
  setText($('value-hint'), t('transfer.available', { balance: credits(S.balance ?? 0) }));
  const v = parseInt($('value').value, 10);
  setText($('value-unit'), t('creditsUnit', { n: Number.isFinite(v) ? v : 2 }));
  const rule = $('transfer-rule');
  if (S.transferWait > Date.now()) {
    setText(rule, t('transfer.waitHint', { time: i18n.fmtTime(new Date(S.transferWait)) }));
    rule.dataset.tone = 'warn';
  } else {
    setText(rule, t('transfer.rule'));
    delete rule.dataset.tone;
  }
}

async function submitTransfer(ev) {
  ev.preventDefault();
  const status = $('transfer-status');
  delete status.dataset.code;
  const toInput = $('to');
  const valueInput = $('value');
  const toText = toInput.value.replace(/[#\s]/g, '');
  const valueText = valueInput.value.replace(/\s/g, '');
  toInput.setAttribute('aria-invalid', 'false');
  valueInput.setAttribute('aria-invalid', 'false');
  if (!/^\d{1,9}$/.test(toText)) {
    toInput.setAttribute('aria-invalid', 'true');
    notice(status, 'error', t('transfer.errTitle'), t('transfer.needTo'));
    toInput.focus();
    return;
  }
  if (!/^\d{1,9}$/.test(valueText) || Number(valueText) < 1) {
    valueInput.setAttribute('aria-invalid', 'true');
    notice(status, 'error', t('transfer.errTitle'), t('transfer.needValue'));
    valueInput.focus();
    return;
  }
  const to = Number(toText);
  const value = Number(valueText);
  const btn = $('transfer-submit');
  btn.disabled = true;
  notice(status, 'info', t('transfer.sending'));
  try {
    const r = await api('/api/v2/transfer', { method: 'POST', body: { to, value }, headers: { 'Idempotency-Key': idemKey() } });
    valueInput.value = '';
    delete status.dataset.code;
    // The answer is only the operation's id: the statement names the
    // recipient (and no event tells about transfers: ask for the balance).
    if (!S.ops.has(r.operation)) await Promise.all([loadStatement(true), refreshBalance()]);
    const line = S.ops.get(r.operation) || S.stmt.find((o) => o.operation === r.operation);
    const name = line?.to || counterparts().find((p) => p.id === to)?.name;
    notice(status, 'ok', t('transfer.ok'), name ? t('transfer.okDetail', { value: credits(value), name }) : t('transfer.okDetailId', { value: credits(value), id: to }));
  } catch (err) {
    if (err.status === 401) { endSession(t('err.unauthorized')); return; }
    let detail = describe(err);
    if (err.status === 402) {
      detail = t('transfer.402', { balance: credits(S.balance ?? 0) });
      valueInput.setAttribute('aria-invalid', 'true');
    } else if (err.status === 403) {
      if (to === S.me.id) detail = t('transfer.403self');
      else if (to === BANK_ID) detail = t('transfer.403bank', { id: to });
      else if (value < 1) detail = t('transfer.needValue');
      else detail = t('transfer.403unknown', { id: to }); // what is left: nobody has that number
      toInput.setAttribute('aria-invalid', 'true');
    } else if (err.status === 429) {
      const secs = err.retryAfter ?? 300;
      S.transferWait = Date.now() + secs * 1000;
      saveLocal(`coinop.transferWait.${S.me.id}`, String(S.transferWait));
      detail = `${t('transfer.429')} ${t('transfer.429detail', { time: i18n.fmtTime(new Date(S.transferWait)), in: i18n.fmtIn(secs) })}`;
    }
    status.dataset.code = String(err.status);
    notice(status, err.status === 429 ? 'warn' : 'error', t(err.status === 429 ? 'transfer.429title' : 'transfer.errTitle'), detail);
  } finally {
    btn.disabled = false;
    renderTransferHints();
  }
}

// ---------------------------------------------------------------- toast

let toastTimer = 0;
function toast(text) {
  const box = $('toast');
  box.textContent = text;
  box.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove('show'), 4000);
}

// ---------------------------------------------------------------- wiring

function wire() {
  $('demo-login').addEventListener('submit', demoLogin);
  $('demo-name').addEventListener('input', () => $('demo-name').setAttribute('aria-invalid', 'false'));
  $('logout').addEventListener('click', logout);
  $('load-more').addEventListener('click', () => loadStatement(false));
  $('code-form').addEventListener('submit', submitCode);
  $('code').addEventListener('input', (ev) => {
    const v = ev.target.value.replace(/\D/g, '').slice(0, 2);
    if (v !== ev.target.value) ev.target.value = v;
    ev.target.setAttribute('aria-invalid', 'false');
  });
  $('resume-btn').addEventListener('click', () => { location.hash = '#buy'; });
  $('transfer-form').addEventListener('submit', submitTransfer);
  for (const id of ['to', 'value']) {
    $(id).addEventListener('input', () => {
      $(id).setAttribute('aria-invalid', 'false');
      renderTransferHints();
      if (id === 'to') renderRecents();
    });
  }
  setInterval(() => { if (S.me && S.view === 'transfer') renderTransferHints(); }, 15000);
  // A slow safety net for what no event tells (transfers received, games
  // paying through /credit).
  setInterval(() => {
    if (S.me && document.visibilityState === 'visible' && !S.stmtLoading) {
      refreshBalance();
      loadStatement(true);
    }
  }, 30000);
}

boot();
