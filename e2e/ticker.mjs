// Real-browser test of the coinop ticker page, run by cmd/coinop/browser_test.go.
//
// Env: BASE_URL (e.g. http://127.0.0.1:8080), API_KEY (a valid key),
// CHROMIUM (the browser binary, e.g. /usr/bin/chromium), ARTIFACTS (a folder
// for screenshots). Exits 0 when every check passes, 1 with a message if not.
// It never downloads a browser: it drives the Chromium it is given.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const TOTAL_TIMEOUT = 55_000; // the whole script
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

async function main() {
  log(`launching ${CHROMIUM}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 20_000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);

  // Anything the page throws or the CSP refuses is a failure.
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401|WebSocket connection/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });

  // 1. The page loads, disconnected.
  log(`opening ${BASE_URL}/`);
  const resp = await page.goto(`${BASE_URL}/`, { waitUntil: 'load', timeout: STEP_TIMEOUT });
  check(resp && resp.ok(), `GET / answered ${resp && resp.status()}`);
  check((await page.title()) === 'coinop ticker', `title is "${await page.title()}", want "coinop ticker"`);
  await statusIs('disconnected');
  check(await page.getByLabel('API key', { exact: true }).isVisible(), 'the API key field has no visible label "API key"');
  log('status: disconnected');

  // 2. A wrong key (submitted with Enter) shows "invalid API key".
  const field = page.locator('#api-key');
  await field.fill('wrong-key-0000000000');
  await field.press('Enter');
  await waitFor('a wrong key should show "invalid API key"',
    () => document.getElementById('status')?.dataset.state === 'error'
      && /invalid API key/i.test(document.getElementById('status').textContent));
  log('wrong key: "invalid API key" shown');

  // 3. The right key, with the Connect button, goes live.
  await field.fill(API_KEY);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await statusIs('live');
  log('status: live');

  // 4. Three rows, prices that move, a seq that grows.
  await waitFor('rows BTC-USD, ETH-USD and SOL-USD should be shown', () => {
    const rows = [...document.querySelectorAll('#rows tr[data-symbol]')].map((r) => r.dataset.symbol).sort().join(',');
    return rows === 'BTC-USD,ETH-USD,SOL-USD';
  });
  for (const s of ['BTC-USD', 'ETH-USD', 'SOL-USD']) {
    check(await page.locator(`#rows tr[data-symbol="${s}"]`).isVisible(), `row ${s} is not visible`);
  }
  const first = await priceText('BTC-USD');
  check(/\d\.\d{2}$|\d,\d{2}\D*$/.test(first.trim()), `BTC-USD price "${first}" is not formatted with 2 decimals`);
  log(`BTC-USD price ${first}`);
  const next = await waitFor('the BTC-USD price should change',
    (p) => {
      const t = document.querySelector('#rows tr[data-symbol="BTC-USD"] .price')?.textContent;
      return t && t !== p ? t : false;
    }, first);
  log(`BTC-USD price moved to ${next}`);
  const change = await page.locator('#rows tr[data-symbol="BTC-USD"] .chg').textContent();
  check(/%/.test(change), `BTC-USD change "${change}" has no percentage`);
  const seq1 = await seqNumber();
  check(seq1 > 0, 'seq is not shown');
  await waitFor('seq should increase', (s) => Number((document.getElementById('seq').textContent || '').replace(/\D/g, '')) > s, seq1);
  log(`seq ${seq1} -> ${await seqNumber()}`);
  await waitFor('frames/s should be counted', () => Number(document.getElementById('fps').textContent) > 0);

  // 5. Screenshots, desktop then mobile; no sideways scrolling on a phone.
  await page.waitForTimeout(1500); // let the 30 s trend lines draw a little
  await shot('ticker-1280x800.png');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  check(overflow <= 360, `at 360 px wide the page is ${overflow} px wide (horizontal scrolling)`);
  await shot('ticker-360x740.png');

  // 6. A reload reconnects with the key kept in sessionStorage.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.reload({ waitUntil: 'load' });
  await statusIs('live');
  log('reload: live again with the saved key');

  // 7. Disconnect stops.
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await statusIs('disconnected');
  log('disconnect: disconnected');

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
