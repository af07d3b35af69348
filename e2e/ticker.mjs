// Real-browser test of the coinop ticker page, run by cmd/coinop/browser_test.go:
// in a Portuguese (Brazil) browser, then in an English one, with the PT | EN
// switch, a dropped connection and screenshots of both languages.
//
// Env: BASE_URL (e.g. http://127.0.0.1:8080), API_KEY (a valid key),
// CHROMIUM (the browser binary, e.g. /usr/bin/chromium), ARTIFACTS (a folder
// for screenshots). Exits 0 when every check passes, 1 with a message if not.
// It never downloads a browser: it drives the Chromium it is given.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const TOTAL_TIMEOUT = 80_000; // the whole script
const STEP_TIMEOUT = 10_000; // one check

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`FAIL: environment variable ${name} is not set`);
    process.exit(1);
  }
  return v;
};
const BASE_URL = env('BASE_URL').replace(/\/+$/, '');
const API_KEY = env('API_KEY');
const CHROMIUM = env('CHROMIUM');
const ARTIFACTS = env('ARTIFACTS');
mkdirSync(ARTIFACTS, { recursive: true });

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

class CheckError extends Error {}
const check = (ok, msg) => {
  if (!ok) throw new CheckError(msg);
};

let browser;
let page;

// Never hang: whatever happens, stop after TOTAL_TIMEOUT.
const watchdog = setTimeout(async () => {
  console.error(`FAIL: the browser test did not finish within ${TOTAL_TIMEOUT / 1000}s`);
  await shot('failure-timeout.png').catch(() => {});
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

async function shot(name) {
  if (!page) return;
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true, timeout: 5000 });
  log(`screenshot ${path}`);
}

// waitFor runs fn in the page until it returns a truthy value, else fails with msg.
async function waitFor(msg, fn, arg, timeout = STEP_TIMEOUT) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 50 });
    return await handle.jsonValue();
  } catch (err) {
    const state = await pageState().catch(() => '(page state unavailable)');
    throw new CheckError(`${msg} (waited ${timeout / 1000}s)\n  page state: ${state}\n  cause: ${err.message.split('\n')[0]}`);
  }
}

async function pageState() {
  return page.evaluate(() => {
    const st = document.getElementById('status');
    return JSON.stringify({
      status: st && st.dataset.state,
      text: st && st.textContent.replace(/\s+/g, ' ').trim(),
      rows: [...document.querySelectorAll('#rows tr[data-symbol]')].map((r) => r.dataset.symbol),
      seq: document.getElementById('seq')?.textContent,
    });
  });
}

const statusIs = (want) => waitFor(`status should become "${want}"`,
  (w) => document.getElementById('status')?.dataset.state === w, want);

const seqNumber = () => page.evaluate(() => Number((document.getElementById('seq').textContent || '').replace(/\D/g, '')) || 0);
const priceText = (symbol) => page.locator(`#rows tr[data-symbol="${symbol}"] .price`).textContent({ timeout: STEP_TIMEOUT });
const textOf = (sel) => page.locator(sel).first().textContent({ timeout: STEP_TIMEOUT }).then((s) => s.replace(/\s+/g, ' ').trim());

// What each language shows; prices in USD in the language's locale
// ("US$ 42.000,00" / "$42,000.00"; Intl puts a no-break space after US$).
const LANG = {
  'pt-BR': {
    title: 'coinop · ticker de cotações',
    keyLabel: 'Chave de API',
    heading: 'Cotações ao vivo',
    connect: 'Conectar',
    connected: 'Conectado',
    disconnect: 'Desconectar',
    disconnected: 'Desconectado',
    live: 'Ao vivo',
    badKey: /chave de API inválida/,
    headers: 'Símbolo,Preço,Variação,Tendência',
    navApp: 'App da carteira',
    reconnecting: /^Reconectando em \d+ s$/,
    price: /^US\$\s\d{1,3}(\.\d{3})*,\d{2}$/,
    seq: 'Sequência',
    switchTo: 'Português',
  },
  en: {
    title: 'coinop · price ticker',
    keyLabel: 'API key',
    heading: 'Live prices',
    connect: 'Connect',
    connected: 'Connected',
    disconnect: 'Disconnect',
    disconnected: 'Disconnected',
    live: 'Live',
    badKey: /invalid API key/,
    headers: 'Symbol,Price,Change,Trend',
    navApp: 'Wallet app',
    reconnecting: /^Reconnecting in \d+ s$/,
    price: /^\$\d{1,3}(,\d{3})*\.\d{2}$/,
    seq: 'Seq',
    switchTo: 'English',
  },
};

// expectLanguage checks the fixed texts, <html lang> and the title.
async function expectLanguage(lang) {
  const L = LANG[lang];
  await waitFor(`<html lang> should be ${lang}`, (l) => document.documentElement.lang === l, lang);
  check((await page.title()) === L.title, `title is "${await page.title()}", want "${L.title}"`);
  check(await page.getByLabel(L.keyLabel, { exact: true }).isVisible(), `the API key field has no visible label "${L.keyLabel}"`);
  const heading = await textOf('#connect-title');
  check(heading === L.heading, `heading is "${heading}", want "${L.heading}"`);
  const headers = (await page.locator('#ticker thead th').allTextContents()).map((s) => s.trim()).join(',');
  check(headers === L.headers, `table headers are "${headers}", want "${L.headers}"`);
  const nav = await textOf('.site-nav a[href="/app/"]');
  check(nav === L.navApp, `the link to the app says "${nav}", want "${L.navApp}"`);
  const seq = await textOf('.stats dt');
  check(seq === L.seq, `the first statistic is "${seq}", want "${L.seq}"`);
  check(await page.getByRole('button', { name: L.disconnect, exact: true }).count() === 1, `no "${L.disconnect}" button`);
  const pressed = await page.locator(`#lang button[aria-pressed="true"]`).getAttribute('lang');
  check(pressed === lang, `the language switch shows ${pressed} as chosen, want ${lang}`);
}

// statusLabelIs waits for the status line's label (and the pill's) to say want.
const statusLabelIs = (want) => waitFor(`the status label should read "${want}"`,
  (w) => document.getElementById('status-label')?.textContent === w
    && document.getElementById('pill-text')?.textContent === w, want);

// expectPrices checks the locale format of every price and that BTC moves.
async function expectPrices(lang) {
  const L = LANG[lang];
  for (const s of ['BTC-USD', 'ETH-USD', 'SOL-USD']) {
    await waitFor(`the ${s} price should be formatted for ${lang}`,
      ([sym, re]) => new RegExp(re).test(document.querySelector(`#rows tr[data-symbol="${sym}"] .price`)?.textContent || ''),
      [s, L.price.source]);
  }
  const first = await priceText('BTC-USD');
  const next = await waitFor(`the BTC-USD price should change (${lang})`,
    (p) => {
      const t = document.querySelector('#rows tr[data-symbol="BTC-USD"] .price')?.textContent;
      return t && t !== p ? t : false;
    }, first);
  check(L.price.test(next), `BTC-USD price "${next}" is not formatted for ${lang}`);
  const change = await page.locator('#rows tr[data-symbol="BTC-USD"] .chg').textContent();
  const sep = lang === 'pt-BR' ? ',' : '.';
  check(/%/.test(change) && change.includes(sep), `BTC-USD change "${change}" is not a ${lang} number with a percentage`);
  log(`${lang}: BTC-USD ${first} -> ${next}, change "${change.replace(/\s+/g, ' ').trim()}"`);
}

// expectFairTime checks that the last tick's time is in the fair's zone
// (the server's default, America/Sao_Paulo), not the browser's.
async function expectFairTime() {
  const hm = (zone, d) => new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  const shown = await waitFor('the last tick time should be in the fair\'s time zone',
    (want) => {
      const t = document.getElementById('updated')?.textContent || '';
      return want.some((w) => t.startsWith(w)) ? t : false;
    }, [0, 2000, 60000].map((ago) => hm('America/Sao_Paulo', new Date(Date.now() - ago))));
  log(`last tick at ${shown} (America/Sao_Paulo; the browser is in Asia/Tokyo, ${hm('Asia/Tokyo', new Date())})`);
}

// screenshots at desktop and phone widths; no sideways scrolling on a phone.
async function screenshots(name) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(300);
  await shot(`${name}-1280x800.png`);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(300);
  await noSidewaysScroll(name);
  await shot(`${name}-360x740.png`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

// noSidewaysScroll: at 360 px the page fits, and no table cell, button or
// the top bar holds more than fits inside its padding (a long price running
// into the symbol).
async function noSidewaysScroll(what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 360, `${what}: at 360 px wide the page is ${width} px wide (horizontal scrolling)`);
  const over = await page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll('#ticker th, #ticker td, .btn, .topbar-inner, .pill, .lang-switch')) {
      if (e.offsetParent === null) continue;
      const cs = getComputedStyle(e);
      const box = e.getBoundingClientRect();
      const left = box.left + parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft);
      const right = box.right - parseFloat(cs.borderRightWidth) - parseFloat(cs.paddingRight);
      // The visible text (not the screen-reader-only words), pictures and
      // badges (the coin, the percentage pill).
      let lo = Infinity;
      let hi = -Infinity;
      const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const host = n.nodeType === Node.TEXT_NODE ? n.parentElement : n;
        if (host.closest('.sr-only')) continue;
        if (n.nodeType === Node.ELEMENT_NODE && !['svg', 'img'].includes(n.localName) && !n.matches('.coin, .pct')) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of (n.nodeType === Node.TEXT_NODE ? range.getClientRects() : [n.getBoundingClientRect()])) {
          if (!r.width) continue;
          lo = Math.min(lo, r.left);
          hi = Math.max(hi, r.right);
        }
      }
      if (lo < left - 1.5 || hi > right + 1.5) { // 1.5: rounding of glyph and cell edges
        out.push(`${e.tagName.toLowerCase()}.${e.className || '-'} "${e.textContent.replace(/\s+/g, ' ').trim()}": content ${lo.toFixed(1)}..${hi.toFixed(1)} px in ${left.toFixed(1)}..${right.toFixed(1)} px`);
      }
    }
    return out;
  });
  check(over.length === 0, `${what}: at 360 px these overflow their box:\n  ${over.join('\n  ')}`);
}

async function newPage(locale, problems) {
  // A browser far from the fair (Tokyo): times must still be São Paulo's.
  const context = await browser.newContext({ locale, timezoneId: 'Asia/Tokyo', viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const p = await context.newPage();
  p.setDefaultTimeout(STEP_TIMEOUT);
  // Anything the page throws or the CSP refuses is a failure.
  p.on('pageerror', (err) => problems.push(`${locale}: page error: ${err.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401|WebSocket connection/.test(m.text())) problems.push(`${locale}: console error: ${m.text()}`);
  });
  return p;
}

async function main() {
  log(`launching ${CHROMIUM}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 20_000,
  });
  const problems = [];

  // ---- A browser in Brazilian Portuguese ----
  page = await newPage('pt-BR', problems);

  // The ticker's WebSocket passes through the test, which can drop it
  // (refuse > 0: close the next connections at once) to see a reconnect.
  let socket = null;
  let refuse = 0;
  await page.routeWebSocket(/\/ws\/ticker/, (ws) => {
    if (refuse > 0) {
      refuse--;
      ws.close({ code: 4000 });
      return;
    }
    socket = ws;
    ws.connectToServer();
  });

  // 1. The page loads in Portuguese, disconnected.
  log(`opening ${BASE_URL}/ (locale pt-BR)`);
  const resp = await page.goto(`${BASE_URL}/`, { waitUntil: 'load', timeout: STEP_TIMEOUT });
  check(resp && resp.ok(), `GET / answered ${resp && resp.status()}`);
  await statusIs('disconnected');
  await expectLanguage('pt-BR');
  await statusLabelIs(LANG['pt-BR'].disconnected);
  const hint = await textOf('#status-detail');
  check(hint === 'digite sua chave de API para começar', `status detail "${hint}" is not the Portuguese hint`);
  log('pt-BR: Portuguese texts, disconnected');

  // 2. A wrong key (submitted with Enter) shows "chave de API inválida".
  const field = page.locator('#api-key');
  await field.fill('wrong-key-0000000000');
  await field.press('Enter');
  await waitFor('a wrong key should show "chave de API inválida"',
    (re) => document.getElementById('status')?.dataset.state === 'error'
      && new RegExp(re).test(document.getElementById('status').textContent), LANG['pt-BR'].badKey.source);
  await statusLabelIs('Erro');
  log('pt-BR wrong key: "chave de API inválida" shown');

  // 3. The right key, with the Conectar button, goes live.
  await field.fill(API_KEY);
  await page.getByRole('button', { name: LANG['pt-BR'].connect, exact: true }).click();
  await statusIs('live');
  await statusLabelIs(LANG['pt-BR'].live);
  await waitFor('the button should say "Conectado"', () => document.getElementById('connect').textContent === 'Conectado');
  const who = await textOf('#status-detail');
  check(/^conectado como \S+ \(usuário\)$/.test(who), `status detail "${who}" does not say who is signed in, in Portuguese`);
  log(`pt-BR: live, "${who}"`);

  // 4. Three rows, pt-BR prices that move, a seq that grows.
  await waitFor('rows BTC-USD, ETH-USD and SOL-USD should be shown', () => {
    const rows = [...document.querySelectorAll('#rows tr[data-symbol]')].map((r) => r.dataset.symbol).sort().join(',');
    return rows === 'BTC-USD,ETH-USD,SOL-USD';
  });
  for (const s of ['BTC-USD', 'ETH-USD', 'SOL-USD']) {
    check(await page.locator(`#rows tr[data-symbol="${s}"]`).isVisible(), `row ${s} is not visible`);
  }
  await expectPrices('pt-BR');
  await expectFairTime();
  const seq1 = await seqNumber();
  check(seq1 > 0, 'seq is not shown');
  await waitFor('seq should increase', (s) => Number((document.getElementById('seq').textContent || '').replace(/\D/g, '')) > s, seq1);
  log(`seq ${seq1} -> ${await seqNumber()}`);
  await waitFor('frames/s should be counted', () => Number(document.getElementById('fps').textContent) > 0);

  // 5. A dropped connection: "Reconectando em N s", then live again.
  check(socket, 'the ticker WebSocket did not pass through the test route');
  refuse = 2;
  await socket.close({ code: 4000 });
  const countdown = await waitFor('a dropped connection should count down in Portuguese',
    (re) => {
      const l = document.getElementById('status-label')?.textContent || '';
      return document.getElementById('status')?.dataset.state === 'reconnecting' && new RegExp(re).test(l) ? document.getElementById('status').textContent.replace(/\s+/g, ' ').trim() : false;
    }, LANG['pt-BR'].reconnecting.source);
  log(`pt-BR reconnecting: "${countdown}"`);
  await statusIs('live');
  log('pt-BR: live again after the drop');

  // 6. Screenshots in Portuguese, desktop then mobile.
  await page.waitForTimeout(1500); // let the 30 s trend lines draw a little
  await screenshots('ticker-pt');

  // 7. The switch: English at once, prices reformatted and still moving.
  await page.getByRole('button', { name: LANG.en.switchTo, exact: true }).click();
  await expectLanguage('en');
  await statusLabelIs(LANG.en.live);
  await waitFor('the button should say "Connected"', () => document.getElementById('connect').textContent === 'Connected');
  const whoEn = await textOf('#status-detail');
  check(/^signed in as \S+ \(user\)$/.test(whoEn), `status detail "${whoEn}" is not in English`);
  await expectPrices('en');
  log('switch to English: texts, status and prices in English');
  await page.waitForTimeout(500);
  await screenshots('ticker-en');

  // 8. A reload keeps English (remembered) and reconnects with the key kept
  // in sessionStorage.
  await page.reload({ waitUntil: 'load' });
  await statusIs('live');
  await expectLanguage('en');
  log('reload: English remembered, live again with the saved key');

  // 9. Back to Portuguese; Disconnect stops, in Portuguese, also on a phone.
  await page.getByRole('button', { name: LANG['pt-BR'].switchTo, exact: true }).click();
  await expectLanguage('pt-BR');
  await page.getByRole('button', { name: LANG['pt-BR'].disconnect, exact: true }).click();
  await statusIs('disconnected');
  await statusLabelIs(LANG['pt-BR'].disconnected);
  const bye = await textOf('#status-detail');
  check(bye === 'pressione Conectar para retomar', `status detail "${bye}" after Desconectar`);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(300);
  await noSidewaysScroll('pt-BR disconnected');
  await shot('ticker-pt-disconnected-360x740.png');
  log('pt-BR disconnect: disconnected');
  await page.context().close();

  // ---- A browser in American English ----
  page = await newPage('en-US', problems);
  log(`opening ${BASE_URL}/ (locale en-US)`);
  await page.goto(`${BASE_URL}/`, { waitUntil: 'load', timeout: STEP_TIMEOUT });
  await statusIs('disconnected');
  await expectLanguage('en');
  await statusLabelIs(LANG.en.disconnected);
  await page.locator('#api-key').fill(API_KEY);
  await page.getByRole('button', { name: LANG.en.connect, exact: true }).click();
  await statusIs('live');
  await waitFor('rows should be shown', () => document.querySelectorAll('#rows tr[data-symbol]').length === 3);
  await expectPrices('en');
  log('en-US: English texts and prices from the start');

  check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
}

let code = 0;
try {
  await main();
  log('PASS');
} catch (err) {
  code = 1;
  console.error(err instanceof CheckError ? `FAIL: ${err.message}` : `FAIL: ${err.stack || err}`);
  await shot('failure.png').catch(() => {});
} finally {
  await browser?.close().catch(() => {});
}
process.exit(code);
