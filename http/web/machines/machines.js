// coinop demo machines page: the simulated machines drawn live from the
// /api/v2/demo/machines WebSocket (reconnecting with backoff): the vending
// machine's screen (greeting, code, releasing), its slots with the one
// that turns, and each arcade's coin counter.

import { api, getConfig, liveSocket } from '/shared/api.js';
import * as i18n from '/shared/i18n.js';

const { t } = i18n;
const $ = (id) => document.getElementById(id);

i18n.addMessages({
  'pt-BR': {
    skip: 'Pular para as máquinas',
    tag: 'máquinas',
    brandLabel: 'coinop, máquinas da demonstração',
    banner: 'Máquinas simuladas, compras de mentira.',
    openApp: 'Abrir o app ↗',
    title: 'As máquinas da feira, ao vivo',
    sub: 'Compre pelo app em outra aba ou no celular e veja a máquina responder aqui.',
    loginHint: 'Entre no app neste navegador para ver os produtos de cada compartimento.',
    notDemo: 'Esta página faz parte da demonstração: inicie o servidor com --demo para ver as máquinas simuladas.',
    footer: 'Telas das máquinas simuladas, atualizadas a cada mudança.',
    'live.live': 'Ao vivo',
    'live.connecting': 'Conectando…',
    'live.reconnecting': 'Reconectando…',
    'live.closed': 'Desconectado',
    vending: 'Lanches',
    arcade: 'Fliperama',
    online: 'Ligada',
    offline: 'Desligada',
    hello: 'Olá, {name}!',
    yourCode: 'Seu código',
    typeCode: 'Digite este código no app',
    releasing: 'Liberando…',
    takeIt: 'Retire na bandeja',
    choose: 'Compre pelo app coinop',
    idleTitle: 'Bem-vindo!',
    off: 'Fora do ar',
    connecting: 'Ligando…',
    slot: 'Compartimento {n}',
    slotItem: '{name} · {price}',
    price: ({ n, s }) => `${s} ${n === 1 ? 'crédito' : 'créditos'}`,
    left: 'restam {n}',
    soldOut: 'esgotado',
    push: 'Empurre',
    insertCoin: 'Insira a ficha',
    payApp: 'pague pelo app',
    coins: 'fichas',
    coinsLabel: 'Fichas inseridas',
    coinIn: '+1 ficha!',
    ready: 'Pronto para jogar',
    display: 'Tela da {name}',
    'msg.Pronto! Bom apetite.': 'Pronto! Bom apetite.',
    'msg.Crédito inserido': 'Ficha inserida',
    'msg.wrong code too many times': 'Código errado 3 vezes. Compra cancelada.',
    'msg.the code expired': 'O código expirou. Compra cancelada.',
    'msg.the machine disconnected': 'Conexão perdida. Compra cancelada.',
    'msg.the machine could not be reached': 'Compra cancelada.',
  },
  en: {
    skip: 'Skip to the machines',
    tag: 'machines',
    brandLabel: 'coinop, the demo’s machines',
    banner: 'Simulated machines, pretend purchases.',
    openApp: 'Open the app ↗',
    title: 'The fair’s machines, live',
    sub: 'Buy with the app in another tab or on your phone and watch the machine answer here.',
    loginHint: 'Sign in to the app in this browser to see what each slot holds.',
    notDemo: 'This page is part of the demo: start the server with --demo to see the simulated machines.',
    footer: 'The simulated machines’ screens, updated at every change.',
    'live.live': 'Live',
    'live.connecting': 'Connecting…',
    'live.reconnecting': 'Reconnecting…',
    'live.closed': 'Disconnected',
    vending: 'Snacks',
    arcade: 'Arcade',
    online: 'On',
    offline: 'Off',
    hello: 'Hi, {name}!',
    yourCode: 'Your code',
    typeCode: 'Type this code in the app',
    releasing: 'Releasing…',
    takeIt: 'Pick it up from the tray',
    choose: 'Buy with the coinop app',
    idleTitle: 'Welcome!',
    off: 'Out of order',
    connecting: 'Starting…',
    slot: 'Slot {n}',
    slotItem: '{name} · {price}',
    price: ({ n, s }) => `${s} ${n === 1 ? 'credit' : 'credits'}`,
    left: '{n} left',
    soldOut: 'sold out',
    push: 'Push',
    insertCoin: 'Insert coin',
    payApp: 'pay with the app',
    coins: 'credits',
    coinsLabel: 'Credits inserted',
    coinIn: '+1 credit!',
    ready: 'Ready to play',
    display: 'Screen of {name}',
    'msg.Pronto! Bom apetite.': 'Done! Enjoy.',
    'msg.Crédito inserido': 'Credit inserted',
    'msg.wrong code too many times': 'Wrong code 3 times. Purchase cancelled.',
    'msg.the code expired': 'The code expired. Purchase cancelled.',
    'msg.the machine disconnected': 'Connection lost. Purchase cancelled.',
    'msg.the machine could not be reached': 'Purchase cancelled.',
  },
});

const S = {
  screens: [], // latest snapshot
  prev: new Map(), // id -> previous screen
  shop: new Map(), // id -> machine from /api/v2/machines (slots)
  shopLoaded: false,
  views: new Map(), // id -> drawn elements
  tray: new Map(), // vending id -> emoji in the tray
  live: 'connecting',
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function restart(node, cls) {
  node.classList.remove(cls);
  void node.offsetWidth;
  node.classList.add(cls);
}
const isURL = (s) => /^(https?:)?\/\//i.test(s) || s.startsWith('/') || s.startsWith('data:image/');
function picture(image, fallback, cls) {
  const wrap = el('span', `${cls} emoji`);
  wrap.setAttribute('aria-hidden', 'true');
  if (image && isURL(image)) {
    const img = el('img');
    img.src = image;
    img.alt = '';
    img.addEventListener('error', () => { wrap.textContent = fallback; });
    wrap.append(img);
  } else {
    wrap.textContent = image || fallback;
  }
  return wrap;
}
const message = (m) => (m && i18n.has(`msg.${m}`) ? t(`msg.${m}`) : m || '');
const credits = (n) => t('price', { n, s: i18n.fmtNumber(n) });

// ---------------------------------------------------------------- data

async function loadShop() {
  try {
    const ms = await api('/api/v2/machines');
    S.shop = new Map(ms.map((m) => [m.id, m]));
    S.shopLoaded = true;
    $('login-hint').hidden = true;
  } catch (err) {
    if (err.status === 401) $('login-hint').hidden = false;
  }
  draw();
}

let shopTimer = 0;
function loadShopSoon(delay = 300) {
  clearTimeout(shopTimer);
  shopTimer = setTimeout(loadShop, delay);
}

function onSnapshot(list) {
  if (!Array.isArray(list)) return;
  for (const s of S.screens) S.prev.set(s.id, s);
  S.screens = list;
  for (const s of list) {
    const before = S.prev.get(s.id);
    if (s.kind === 'vending' && before && before.state === 'releasing' && s.state !== 'releasing' && s.connected) {
      const slot = slotOf(s.id, before.slot);
      S.tray.set(s.id, slot ? slot.image : '🎁');
      setTimeout(() => { S.tray.delete(s.id); draw(); }, 5000);
      loadShopSoon();
    }
    if (before && before.state !== s.state) loadShopSoon(); // busy and stock change
  }
  draw();
}

function slotOf(id, n) {
  const m = S.shop.get(id);
  return m ? m.slots.find((x) => x.slot === n) : undefined;
}

// ---------------------------------------------------------------- drawing

function draw() {
  const hall = $('machines');
  const ids = new Set(S.screens.map((s) => s.id));
  for (const [id, v] of S.views) {
    if (!ids.has(id)) {
      v.root.remove();
      S.views.delete(id);
    }
  }
  const vending = S.screens.filter((s) => s.kind !== 'arcade');
  const arcades = S.screens.filter((s) => s.kind === 'arcade');
  let col = hall.querySelector('.arcades');
  if (!col) {
    col = el('div', 'arcades');
    hall.append(col);
  }
  for (const s of vending) {
    const v = S.views.get(s.id) || makeVending(s);
    if (v.root.parentNode !== hall) hall.insertBefore(v.root, col);
    drawVending(v, s);
  }
  for (const s of arcades) {
    const v = S.views.get(s.id) || makeArcade(s);
    if (v.root.parentNode !== col) col.append(v.root);
    drawArcade(v, s);
  }
  col.hidden = arcades.length === 0;
}

function makeVending(s) {
  const root = el('article', 'vm');
  root.dataset.machine = s.id;
  root.setAttribute('aria-labelledby', `vm-${s.id}-name`);
  const top = el('header', 'vm-top');
  const name = el('h2', 'vm-name');
  name.id = `vm-${s.id}-name`;
  const power = el('span', 'vm-power');
  top.append(name, power);

  const body = el('div', 'vm-body');
  const glass = el('div', 'vm-glass');
  const slots = el('ol', 'vm-slots');
  glass.append(slots);

  const side = el('div', 'vm-side');
  const display = el('div', 'vm-display');
  display.setAttribute('role', 'status');
  display.setAttribute('aria-live', 'polite');
  display.setAttribute('aria-atomic', 'true');
  const l1 = el('p', 'd-line1');
  const code = el('p', 'd-code num');
  const l2 = el('p', 'd-line2');
  display.append(l1, code, l2);
  const keypad = el('div', 'vm-keypad');
  keypad.setAttribute('aria-hidden', 'true');
  for (const k of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '✕', '0', '✓']) keypad.append(el('span', '', k));
  const coin = el('div', 'vm-coin');
  coin.setAttribute('aria-hidden', 'true');
  coin.append(el('span', 'vm-coin-slot'), el('span', 'vm-coin-label', 'coinop'));
  side.append(display, keypad, coin);
  body.append(glass, side);

  const tray = el('div', 'vm-tray');
  tray.setAttribute('aria-hidden', 'true');
  const trayItem = el('span', 'vm-tray-item emoji');
  const trayLabel = el('span', 'vm-tray-label');
  tray.append(trayItem, trayLabel);

  root.append(top, body, tray);
  const v = { root, name, power, slots, display, l1, code, l2, tray, trayItem, trayLabel, slotEls: new Map(), lastCode: '' };
  S.views.set(s.id, v);
  return v;
}

function drawVending(v, s) {
  const state = !s.connected ? 'off' : s.state;
  v.root.dataset.state = state;
  setText(v.name, s.name);
  setText(v.power, s.connected ? t('online') : t('offline'));
  v.display.setAttribute('aria-label', t('display', { name: s.name }));

  // The screen.
  let l1 = '';
  let code = '';
  let l2 = '';
  if (!s.connected) {
    l1 = t('off');
  } else if (s.state === 'code') {
    l1 = t('hello', { name: s.username || '' });
    code = String(s.code ?? '').padStart(2, '0');
    l2 = t('typeCode');
  } else if (s.state === 'releasing') {
    l1 = t('releasing');
    const slot = slotOf(s.id, s.slot);
    code = slot ? slot.image : '';
    l2 = t('takeIt');
  } else if (s.message) {
    l1 = message(s.message);
    l2 = t('choose');
  } else {
    l1 = t('idleTitle');
    l2 = t('choose');
  }
  setText(v.l1, l1);
  setText(v.code, code);
  setText(v.l2, l2);
  v.code.classList.toggle('emoji', s.state === 'releasing');
  v.display.dataset.mode = !s.connected ? 'off' : s.state === 'code' ? 'code' : s.state === 'releasing' ? 'releasing' : s.message ? 'message' : 'idle';
  if (s.state === 'code' && v.lastCode !== code) restart(v.code, 'appear');
  v.lastCode = s.state === 'code' ? code : '';

  // The slots: what /api/v2/machines says, else the one turning.
  const m = S.shop.get(s.id);
  let slots = m ? m.slots : [];
  if (!m && s.state === 'releasing' && s.slot) slots = [{ slot: s.slot, name: '', image: '', price: 0, quantity: 1 }];
  const want = new Set(slots.map((x) => x.slot));
  for (const [n, e] of v.slotEls) {
    if (!want.has(n)) {
      e.li.remove();
      v.slotEls.delete(n);
    }
  }
  for (const x of slots) {
    let e = v.slotEls.get(x.slot);
    if (!e) {
      const li = el('li', 'vm-slot');
      li.dataset.slot = x.slot;
      const item = el('span', 'vm-item emoji');
      item.setAttribute('aria-hidden', 'true');
      const coil = el('span', 'vm-coil');
      coil.setAttribute('aria-hidden', 'true');
      const label = el('span', 'vm-label');
      const num = el('span', 'vm-num num');
      const text = el('span', 'vm-text');
      label.append(num, text);
      const tag = el('span', 'vm-tag');
      const price = el('span', 'vm-price num');
      const stock = el('span', 'vm-stock num');
      tag.append(price, stock);
      li.append(item, coil, label, tag);
      e = { li, item, num, text, price, stock };
      v.slotEls.set(x.slot, e);
    }
    const turning = s.connected && s.state === 'releasing' && s.slot === x.slot;
    if (turning && !e.li.classList.contains('turning')) {
      restart(e.li, 'turning');
      v.root.dataset.lastTurned = String(x.slot); // for tests: the slot that turned last
    }
    if (!turning) e.li.classList.remove('turning');
    e.li.classList.toggle('empty', x.quantity <= 0);
    e.li.setAttribute('aria-label', x.name ? `${t('slot', { n: x.slot })}: ${x.name}` : t('slot', { n: x.slot }));
    setText(e.item, x.image || '');
    setText(e.num, String(x.slot));
    setText(e.text, x.name || '');
    setText(e.price, x.name ? credits(x.price) : '');
    setText(e.stock, x.name ? (x.quantity > 0 ? t('left', { n: x.quantity }) : t('soldOut')) : '');
    if (e.li.parentNode !== v.slots) v.slots.append(e.li);
  }
  v.slots.dataset.count = String(slots.length);

  // The tray: the product just released.
  const inTray = S.tray.get(s.id);
  setText(v.trayLabel, t('push'));
  if (inTray && v.trayItem.textContent !== inTray) {
    v.trayItem.textContent = inTray;
    restart(v.tray, 'full');
  } else if (!inTray) {
    v.trayItem.textContent = '';
    v.tray.classList.remove('full');
  }
}

function makeArcade(s) {
  const root = el('article', 'arc');
  root.dataset.machine = s.id;
  root.setAttribute('aria-labelledby', `arc-${s.id}-name`);
  const marquee = el('header', 'arc-marquee');
  const name = el('h2', 'arc-name');
  name.id = `arc-${s.id}-name`;
  marquee.append(name);
  const bezel = el('div', 'arc-bezel');
  const screen = el('div', 'arc-screen');
  const s1 = el('p', 'arc-line1');
  const s2 = el('p', 'arc-line2');
  const pop = el('p', 'arc-pop');
  pop.setAttribute('aria-hidden', 'true');
  screen.append(s1, s2, pop);
  bezel.append(screen);
  const panel = el('div', 'arc-panel');
  panel.setAttribute('aria-hidden', 'true');
  panel.append(el('span', 'arc-stick'), el('span', 'arc-btn a'), el('span', 'arc-btn b'), el('span', 'arc-btn c'));
  const coin = el('div', 'arc-coin');
  const slot = el('span', 'arc-slot');
  slot.setAttribute('aria-hidden', 'true');
  const counter = el('p', 'arc-counter');
  const count = el('span', 'arc-count num');
  const unit = el('span', 'arc-unit');
  counter.append(count, unit);
  counter.setAttribute('role', 'status');
  counter.setAttribute('aria-live', 'polite');
  coin.append(slot, counter);
  root.append(marquee, bezel, panel, coin);
  const v = { root, name, screen, s1, s2, pop, count, unit, counter, coins: null };
  S.views.set(s.id, v);
  return v;
}

function drawArcade(v, s) {
  v.root.dataset.state = s.connected ? 'on' : 'off';
  setText(v.name, s.name);
  setText(v.count, i18n.fmtNumber(s.coins || 0));
  setText(v.unit, t('coins'));
  v.counter.setAttribute('aria-label', `${t('coinsLabel')}: ${s.coins || 0}`);
  if (!s.connected) {
    setText(v.s1, t('off'));
    setText(v.s2, '');
  } else {
    const m = S.shop.get(s.id);
    const price = m && m.slots[0] ? credits(m.slots[0].price) : '';
    setText(v.s1, s.coins > 0 && v.coins !== null ? t('ready') : t('insertCoin'));
    setText(v.s2, price ? `${t('payApp')} · ${price}` : t('payApp'));
  }
  setText(v.pop, t('coinIn'));
  if (v.coins !== null && s.coins > v.coins) {
    restart(v.root, 'flash');
    restart(v.pop, 'show');
  }
  v.coins = s.coins || 0;
}

// ---------------------------------------------------------------- boot

function setLive(state) {
  S.live = state;
  $('live').dataset.state = state;
  setText($('live-text'), t(`live.${state}`));
}

async function boot() {
  i18n.mountSwitch($('lang'));
  i18n.translate(document);
  i18n.onChange(() => {
    setLive(S.live);
    draw();
  });
  setLive('connecting');
  let cfg;
  try {
    cfg = await getConfig();
  } catch (err) {
    const box = $('error');
    box.hidden = false;
    box.textContent = err.message;
    setLive('closed');
    return;
  }
  i18n.setTimeZone(cfg.timezone);
  if (!cfg.demo) {
    const box = $('not-demo');
    box.hidden = false;
    box.dataset.i18n = 'notDemo';
    box.textContent = t('notDemo');
    $('live').hidden = true;
    return;
  }
  $('demo-banner').hidden = false;
  $('intro').hidden = false;
  loadShop();
  liveSocket('/api/v2/demo/machines', {
    onMessage: onSnapshot,
    onState: (state) => {
      setLive(state);
      if (state === 'live') loadShopSoon(0);
    },
    maxDelay: 8000,
  });
  // Stock and names change rarely; refresh them now and then.
  setInterval(() => { if (document.visibilityState === 'visible') loadShop(); }, 15000);
}

boot();
