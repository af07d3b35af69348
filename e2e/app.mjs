// Real-browser walk-through of the coinop demo, run by
// cmd/coinop/browser_app_test.go against a server started with --demo.
//
// Two pages of one browser context (one person, two tabs): page A is the
// player app at /app/ on a phone-sized viewport, page B the machines page at
// /machines/. Log in by name, play, buy a snack with the code read from
// page B's machine screen, buy an arcade credit, then transfers with every
// error (402, 403, 429) and a success, the statement's paging, and
// screenshots of the main screens at 360x740 and 1280x800.
//
// Env: BASE_URL (the demo server), CHROMIUM (the browser binary), ARTIFACTS
// (a folder for screenshots); NON_DEMO_URL (optional) a server without
// --demo, whose machines page must say it belongs to the demo. Exits 0 when
// every check passes, 1 with a message if not. It never downloads a browser.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const TOTAL_TIMEOUT = 240_000; // a loaded machine (CI) can be several times slower
const STEP_TIMEOUT = 15_000;
const NAV_TIMEOUT = 30_000;
const MOBILE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const FAIR_TZ = 'America/Sao_Paulo'; // the server's default --timezone

const env = (name, optional = false) => {
  const v = process.env[name];
  if (!v && !optional) {
    console.error(`FAIL: environment variable ${name} is not set`);
    process.exit(1);
  }
  return v || '';
};
const BASE_URL = env('BASE_URL').replace(/\/+$/, '');
const CHROMIUM = env('CHROMIUM');
const ARTIFACTS = env('ARTIFACTS');
const NON_DEMO_URL = env('NON_DEMO_URL', true).replace(/\/+$/, '');
mkdirSync(ARTIFACTS, { recursive: true });

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

class CheckError extends Error {}
const check = (ok, msg) => {
  if (!ok) throw new CheckError(msg);
};

let browser;
let app; // page A
let machines; // page B

const watchdog = setTimeout(async () => {
  console.error(`FAIL: the browser test did not finish within ${TOTAL_TIMEOUT / 1000}s`);
  await failureShots().catch(() => {});
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

async function failureShots() {
  for (const [name, p] of [['app-failure.png', app], ['machines-failure.png', machines]]) {
    if (p) await p.screenshot({ path: join(ARTIFACTS, name), fullPage: true, timeout: 5000 }).catch(() => {});
  }
}

// shot saves page's viewport as NAME-WxH.png (the page in front, so its
// animations have run).
async function shot(page, name) {
  await page.bringToFront();
  await page.waitForTimeout(450);
  const { width, height } = page.viewportSize();
  const path = join(ARTIFACTS, `${name}-${width}x${height}.png`);
  await page.screenshot({ path, timeout: 10_000 });
  log(`screenshot ${path}`);
}

// shots saves page at both sizes, then gives it back its size.
async function shots(page, name, ready) {
  const size = page.viewportSize();
  for (const vp of [MOBILE, DESKTOP]) {
    await page.setViewportSize(vp);
    if (ready) await ready(page);
    await shot(page, name);
  }
  await page.setViewportSize(size);
}

// waitFor runs fn in page until it returns a truthy value, else fails with msg.
async function waitFor(page, msg, fn, arg, timeout = STEP_TIMEOUT) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 50 });
    return await handle.jsonValue();
  } catch (err) {
    const state = await pageState(page).catch(() => '(page state unavailable)');
    throw new CheckError(`${msg} (waited ${timeout / 1000}s)\n  page: ${page.url()}\n  state: ${state}\n  cause: ${err.message.split('\n')[0]}`);
  }
}

async function pageState(page) {
  return page.evaluate(() => {
    const visible = [...document.querySelectorAll('main > section, main > div')].filter((e) => !e.hidden).map((e) => e.id);
    const text = (document.querySelector('main')?.innerText || '').replace(/\s+/g, ' ').slice(0, 600);
    return JSON.stringify({ visible, text });
  });
}

const text = (page, sel) => page.evaluate((s) => (document.querySelector(s)?.innerText || '').replace(/\s+/g, ' ').trim(), sel);
const balance = () => app.evaluate(() => Number((document.getElementById('balance').textContent || '').replace(/\D/g, '')));
const viewShown = (page, id) => waitFor(page, `#${id} should be shown`, (i) => {
  const e = document.getElementById(i);
  return e && !e.hidden && e.offsetParent !== null;
}, id);

async function tab(name, view) {
  await app.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await viewShown(app, `view-${view}`);
}

async function noSidewaysScroll(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  check(w <= page.viewportSize().width, `${what}: the page is ${w} px wide at ${page.viewportSize().width} px (sideways scrolling)`);
}

// api calls the server from page A (its session cookie).
const api = (path, init) => app.evaluate(async ([p, i]) => {
  const res = await fetch(p, { ...i, headers: { 'Content-Type': 'application/json' } });
  return { status: res.status, body: await res.json().catch(() => null), retryAfter: res.headers.get('Retry-After') };
}, [path, init || {}]);

const fairTime = (date) => new Intl.DateTimeFormat('pt-BR', { timeZone: FAIR_TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);

function watch(page, name, problems) {
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (m) => {
    // Expected answers (401 before signing in; 402/403/429 in the error
    // checks) show as failed resources; anything else (CSP refusals, script
    // errors) is a failure.
    if (m.type() === 'error' && !/status of (401|402|403|429)\b/.test(m.text())) problems.push(`${name}: console error: ${m.text()}`);
  });
}

async function main() {
  log(`launching ${CHROMIUM}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
  // The browser's zone is UTC: times must still show in the fair's zone.
  const context = await browser.newContext({ locale: 'pt-BR', timezoneId: 'UTC', deviceScaleFactor: 1 });
  const problems = [];
  machines = await context.newPage();
  await machines.setViewportSize(DESKTOP);
  machines.setDefaultTimeout(STEP_TIMEOUT);
  machines.setDefaultNavigationTimeout(NAV_TIMEOUT);
  watch(machines, 'machines page', problems);
  app = await context.newPage();
  await app.setViewportSize(MOBILE);
  app.setDefaultTimeout(STEP_TIMEOUT);
  app.setDefaultNavigationTimeout(NAV_TIMEOUT);
  watch(app, 'app', problems);

  // ---- 1. the machines page goes live with the three demo machines ----
  log(`opening ${BASE_URL}/machines/`);
  const mresp = await machines.goto(`${BASE_URL}/machines/`, { waitUntil: 'load' });
  check(mresp && mresp.ok(), `GET /machines/ answered ${mresp && mresp.status()}`);
  await waitFor(machines, 'the machines page should go live with 3 connected machines', () =>
    document.getElementById('live')?.dataset.state === 'live'
    && document.querySelectorAll('[data-machine]').length === 3
    && ![...document.querySelectorAll('[data-machine]')].some((m) => m.dataset.state === 'off'), undefined, 20_000);
  log('machines page: live, 3 machines connected');

  // ---- 2. sign in screen, languages ----
  log(`opening ${BASE_URL}/app/`);
  const resp = await app.goto(`${BASE_URL}/app/`, { waitUntil: 'load' });
  check(resp && resp.ok(), `GET /app/ answered ${resp && resp.status()}`);
  await viewShown(app, 'view-login');
  check(await app.locator('#demo-banner').isVisible(), 'the DEMO banner is not shown');
  check(/DEMO/.test(await text(app, '#demo-banner')), 'the banner does not say DEMO');
  const demoButton = app.getByRole('button', { name: 'Entrar (demonstração)' });
  check(await demoButton.isVisible(), 'no "Entrar (demonstração)" button');
  check(!(await app.locator('#google-login').isVisible()), 'the Google button is shown without a configured login');
  check(await app.getByLabel('Seu nome').isVisible(), 'the name field has no label "Seu nome"');
  check(await app.evaluate(() => document.activeElement?.id === 'demo-name'), 'the name field is not focused');
  // English, remembered across a reload, then back to Portuguese.
  await app.getByRole('button', { name: 'English' }).click();
  await waitFor(app, 'English should apply', () => document.documentElement.lang === 'en'
    && /Sign in \(demo\)/.test(document.getElementById('demo-submit').textContent));
  await app.reload({ waitUntil: 'load' });
  await waitFor(app, 'the English choice should survive a reload', () => /Sign in \(demo\)/.test(document.getElementById('demo-submit').textContent));
  await app.getByRole('button', { name: 'Português' }).click();
  await waitFor(app, 'Portuguese should apply', () => document.documentElement.lang === 'pt-BR'
    && /Entrar \(demonstração\)/.test(document.getElementById('demo-submit').textContent));
  log('login screen: demo form, DEMO banner, PT/EN switch remembered');
  await noSidewaysScroll(app, 'login');
  await shots(app, 'app-login', (p) => p.locator('#demo-name').focus());
  // An empty name is refused in the page.
  await demoButton.click();
  await waitFor(app, 'an empty name should be refused', () => /Digite um nome/.test(document.getElementById('login-status').textContent));

  // ---- 3. sign in by name (Enter) ----
  await app.getByLabel('Seu nome').fill('Ana');
  await app.getByLabel('Seu nome').press('Enter');
  await viewShown(app, 'view-home');
  await waitFor(app, 'the home should greet Ana', () => document.getElementById('hello').textContent === 'Olá, Ana!');
  await waitFor(app, 'the live connection should be up', () => document.getElementById('live').dataset.state === 'live');
  const myId = Number((await text(app, '#my-id')).replace(/\D/g, ''));
  check(myId > 1, `the home does not show Ana's number (got "${await text(app, '#my-id')}")`);
  check(await balance() === 0, `a new player's balance is ${await balance()}, want 0`);
  log(`signed in as Ana (#${myId}), balance 0`);

  // ---- 4. play: the game pays, the balance follows live ----
  await tab('Jogos', 'games');
  let expected = 0;
  for (const i of [0, 1, 0]) {
    const card = app.locator('#games [data-game]').nth(i);
    await card.getByRole('button', { name: 'Jogar (demo)' }).click();
    const won = await waitFor(app, 'the game should say what it paid', (n) => {
      const t = document.querySelectorAll('#games [data-game]')[n].querySelector('.game-result')?.textContent || '';
      const m = /\+(\d+)/.exec(t);
      return m ? Number(m[1]) : false;
    }, i);
    check(won >= 5 && won <= 25, `a demo game paid ${won}, want 5 to 25`);
    expected += won;
    await waitFor(app, `the balance should become ${expected}`, (want) => Number(document.getElementById('balance').textContent.replace(/\D/g, '')) === want, expected);
    log(`played game ${i + 1}: +${won}, balance ${expected}`);
    await app.waitForTimeout(150);
  }
  await noSidewaysScroll(app, 'games');
  await tab('Início', 'home');
  await waitFor(app, 'the recent activity should list the 3 prizes', () => document.querySelectorAll('#recent .op').length === 3);
  await shots(app, 'app-home');
  await app.emulateMedia({ colorScheme: 'dark' });
  await shot(app, 'app-home-dark');
  await app.emulateMedia({ colorScheme: 'light' });

  // ---- 5. buy a snack: the code is read on the machine (page B) ----
  await machines.reload({ waitUntil: 'load' }); // now signed in: the slots show their products
  await waitFor(machines, 'the vending machine should show its products', () => /Pipoca/.test(document.querySelector('.vm-slots')?.textContent || ''));
  await tab('Comprar', 'shop');
  await noSidewaysScroll(app, 'machines list');
  const pipoca = app.getByRole('button', { name: /^Comprar Pipoca por 3 créditos/ });
  await waitFor(app, 'the Pipoca slot should be enabled', () => {
    const b = [...document.querySelectorAll('#machines button')].find((x) => /Pipoca/.test(x.getAttribute('aria-label')));
    return b && !b.disabled;
  });
  const before = await balance();
  await pipoca.click();
  await viewShown(app, 'view-buy');
  await viewShown(app, 'panel-code');
  check(await app.evaluate(() => document.activeElement?.id === 'code'), 'the code field is not focused');
  check(await app.getAttribute('#code', 'inputmode') === 'numeric', 'the code field is not inputmode=numeric');
  check(await app.getByLabel('Código da máquina').isVisible(), 'the code field has no label');
  await waitFor(app, 'the hold should lower the available balance by 3', (b) => Number(document.getElementById('balance').textContent.replace(/\D/g, '')) === b - 3, before);
  const screen = await waitFor(machines, 'the vending machine should greet Ana and show a 2-digit code', () => {
    const vm = document.querySelector('.vm');
    const hello = vm?.querySelector('.d-line1')?.textContent || '';
    const code = vm?.querySelector('.d-code')?.textContent || '';
    return /Olá, Ana!/.test(hello) && /^\d{2}$/.test(code) ? { hello, code } : false;
  });
  const code = screen.code;
  log(`machine screen: "${screen.hello}" code ${code}`);
  const buyText = await text(app, '#view-buy');
  check(!buyText.includes(code), `the app shows the code ${code}; only the machine may`);
  check(/Olhe a tela da máquina/.test(buyText), `the app does not tell to look at the machine: "${buyText}"`);
  await shots(app, 'app-buy-code', async (p) => p.locator('#code').focus());
  await shots(machines, 'machines');

  // A wrong code first: refused, one attempt fewer.
  const wrong = code === '42' ? '43' : '42';
  await app.locator('#code').fill(wrong);
  await app.locator('#code').press('Enter');
  await waitFor(app, 'a wrong code should be refused with 2 attempts left', () =>
    /Código errado/.test(document.getElementById('buy-status').textContent)
    && /Restam 2 tentativas/.test(document.getElementById('code-hint').textContent));
  log('wrong code: refused, 2 attempts left');

  // The right code, typed and sent with Enter.
  await app.locator('#code').fill('');
  await app.locator('#code').type(code);
  await app.locator('#code').press('Enter');
  // Releasing lasts 1.5 s: seen live when the machine is not too loaded,
  // and in any case recorded by the pages (data-seen, data-last-turned).
  const releasing = await app.waitForFunction(() => document.getElementById('buy-card').dataset.stage === 'releasing'
    && document.querySelector('#buy-steps [data-step="2"]').dataset.state === 'current', undefined, { timeout: 3000, polling: 20 }).then(() => true, () => false);
  log(releasing ? 'app: releasing' : 'app: releasing was too short to catch live');
  const turning = await machines.waitForFunction(() => /Liberando/.test(document.querySelector('.vm .d-line1')?.textContent || '')
    && document.querySelector('.vm-slot.turning')?.dataset.slot === '1', undefined, { timeout: 3000, polling: 20 }).then(() => true, () => false);
  log(turning ? 'machine: "Liberando…", slot 1 turning' : 'machine: the turn was too short to catch live');
  await waitFor(app, 'the purchase should be done', () => document.getElementById('buy-card').dataset.stage === 'done', undefined, 20_000);
  const seen = await app.getAttribute('#buy-card', 'data-seen');
  check(seen === 'awaiting_code releasing done', `the purchase showed the stages "${seen}", want "awaiting_code releasing done"`);
  check(await machines.getAttribute('.vm', 'data-last-turned') === '1', 'the machine page never turned slot 1');
  check(/Pronto! Bom apetite/.test(await text(app, '#panel-done')), 'the done screen does not say "Pronto! Bom apetite."');
  check(await balance() === before - 3, `the balance after buying is ${await balance()}, want ${before - 3}`);
  log(`app: done, balance ${before} -> ${before - 3}`);
  await shots(app, 'app-done');
  await waitFor(machines, 'the machine should say it is done', () => /Pronto/.test(document.querySelector('.vm .d-line1')?.textContent || ''));
  await shot(machines, 'machines-done');

  // The statement shows it, in the fair's time zone.
  await tab('Extrato', 'statement');
  const line = await waitFor(app, 'the statement should start with the completed Pipoca', () => {
    const li = document.querySelector('#statement .op');
    return li && /Pipoca/.test(li.textContent) && li.dataset.status === 'completed' ? { text: li.innerText.replace(/\s+/g, ' '), op: li.dataset.op } : false;
  });
  check(/\u22123\b/.test(line.text), `the Pipoca line does not show −3: "${line.text}"`);
  const stmt = await api('/api/v2/statement?limit=1');
  const wantTime = stmt.body[0].timestamp.slice(11, 16); // the server writes it in the fair's zone
  check(line.text.includes(wantTime), `the statement shows "${line.text}", not the fair's time ${wantTime} (the browser is in UTC)`);
  log(`statement: "${line.text}" (fair time ${wantTime})`);
  await noSidewaysScroll(app, 'statement');

  // ---- 6. an arcade credit: the counter on page B goes up ----
  const arcade = machines.locator('.arc', { hasText: 'Fliperama 1' });
  const coinsBefore = Number(await arcade.locator('.arc-count').textContent());
  await tab('Comprar', 'shop');
  const credit = app.getByRole('button', { name: /^Comprar Ficha de fliperama por 2 créditos em Fliperama 1/ });
  await waitFor(app, 'the arcade credit should be enabled', () => {
    const b = [...document.querySelectorAll('#machines button')].find((x) => /Fliperama 1/.test(x.getAttribute('aria-label')));
    return b && !b.disabled;
  });
  const beforeArcade = await balance();
  await credit.click();
  await viewShown(app, 'view-buy');
  await waitFor(app, 'the arcade credit should be confirmed', () => document.getElementById('buy-card').dataset.stage === 'done'
    && /Ficha inserida/.test(document.getElementById('done-title').textContent), undefined, 15_000);
  await waitFor(machines, `the Fliperama 1 counter should go from ${coinsBefore} to ${coinsBefore + 1}`, (n) => {
    const a = [...document.querySelectorAll('.arc')].find((x) => /Fliperama 1/.test(x.textContent));
    return Number(a?.querySelector('.arc-count')?.textContent) === n + 1 && a.classList.contains('flash');
  }, coinsBefore);
  check(await balance() === beforeArcade - 2, `the balance after the arcade credit is ${await balance()}, want ${beforeArcade - 2}`);
  log(`arcade: credit confirmed, counter ${coinsBefore} -> ${coinsBefore + 1}, balance ${beforeArcade - 2}`);
  await shot(machines, 'machines-coin');
  await shot(app, 'app-arcade-done');

  // ---- 7. transfers: 402, 403 (oneself, unknown), success, 429 ----
  const bruno = await fetch(`${BASE_URL}/api/v2/demo/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Bruno' }),
  }).then((r) => r.json());
  check(bruno && bruno.user > 1, `creating Bruno failed: ${JSON.stringify(bruno)}`);
  await tab('Transferir', 'transfer');
  const to = app.getByLabel('Número do jogador');
  const value = app.getByLabel('Valor');
  const send = app.getByRole('button', { name: 'Transferir', exact: true });
  const status = () => text(app, '#transfer-status');
  const transfer = async (who, amount, want, pattern) => {
    await to.fill(String(who));
    await value.fill(String(amount));
    await send.click();
    await waitFor(app, `a transfer of ${amount} to #${who} should say ${pattern}`, ([p, code]) => {
      const s = document.getElementById('transfer-status');
      return new RegExp(p).test(s.textContent) && (!code || s.dataset.code === code);
    }, [pattern.source, want]);
    log(`transfer ${amount} to #${who}: "${await status()}"`);
  };
  const bal = await balance();
  await transfer(bruno.user, bal + 1000, '402', /Saldo insuficiente: você tem/);
  await transfer(myId, 1, '403', /não pode transferir para si mesmo/);
  await transfer(99999, 1, '403', /Não existe jogador com o número #99999/);
  await app.locator('#transfer-status').scrollIntoViewIfNeeded();
  await shots(app, 'app-transfer-error', (p) => p.locator('#transfer-status').scrollIntoViewIfNeeded());
  await transfer(bruno.user, 1, '', /Transferência feita!.*Você enviou 1 crédito para Bruno/);
  await waitFor(app, `the balance should become ${bal - 1}`, (b) => Number(document.getElementById('balance').textContent.replace(/\D/g, '')) === b, bal - 1);
  await waitFor(app, 'Bruno should appear among the recent people', (id) => !!document.querySelector(`#recents .chip[data-id="${id}"]`), bruno.user);
  // The second transfer, picking Bruno from the recent people: 429.
  await app.locator(`#recents .chip[data-id="${bruno.user}"]`).click();
  check(await to.inputValue() === String(bruno.user), 'picking Bruno did not fill his number');
  check(await app.evaluate(() => document.activeElement?.id === 'value'), 'picking a person does not move to the amount');
  await value.fill('1');
  await value.press('Enter');
  await waitFor(app, 'a second transfer should be refused (429) with when to try again', () => {
    const s = document.getElementById('transfer-status');
    return s.dataset.code === '429' && /Poderá transferir de novo às \d{2}:\d{2} \(em \d+ minutos?\)/.test(s.textContent);
  });
  const wait = await status();
  const shown = /às (\d{2}:\d{2})/.exec(wait)[1];
  const okTimes = [-60, 0, 60].map((d) => fairTime(new Date(Date.now() + (300 + d) * 1000)));
  check(okTimes.includes(shown), `the 429 says "${wait}": ${shown} is not about 5 minutes from now in the fair's zone (${okTimes.join(', ')})`);
  log(`429: "${wait}"`);
  await app.locator('#transfer-status').scrollIntoViewIfNeeded();
  await shots(app, 'app-transfer-wait', (p) => p.locator('#transfer-status').scrollIntoViewIfNeeded());
  await noSidewaysScroll(app, 'transfer');

  // ---- 8. statement paging ("carregar mais" with before=) ----
  for (let i = 0; i < 18; i++) {
    const r = await api('/api/v2/demo/play', { method: 'POST', body: JSON.stringify({ game: 5 + (i % 2) }) });
    check(r.status === 201, `demo play answered ${r.status}`);
  }
  const all = (await api('/api/v2/statement?limit=500')).body.length;
  check(all > 20, `only ${all} operations for the paging check`);
  await app.reload({ waitUntil: 'load' });
  await tab('Extrato', 'statement');
  await waitFor(app, 'the statement should show its first page of 20', () => document.querySelectorAll('#statement .op').length === 20);
  const more = app.getByRole('button', { name: 'Carregar mais' });
  check(await more.isVisible(), 'no "Carregar mais" button with more lines to load');
  await more.focus(); // by keyboard: focus scrolls it above the tab bar
  await more.press('Enter');
  await waitFor(app, `"Carregar mais" should load the rest (${all} lines)`, (n) => document.querySelectorAll('#statement .op').length === n
    && !document.getElementById('statement-end').hidden, all);
  const ids = await app.evaluate(() => [...document.querySelectorAll('#statement .op')].map((li) => Number(li.dataset.op)));
  check(ids.every((id, i) => i === 0 || id < ids[i - 1]), `the statement is not newest first without repeats: ${ids.join(',')}`);
  log(`statement paging: 20, then all ${all}, newest first`);

  // ---- 9. the ticker's nav links the pages; sign out ----
  const home = await (await fetch(`${BASE_URL}/`)).text();
  check(/href="\/app\/"/.test(home) && /href="\/machines\/"/.test(home), 'the ticker page does not link /app/ and /machines/');
  await app.getByRole('button', { name: 'Sair' }).click();
  await viewShown(app, 'view-login');
  log('signed out');

  // ---- 10. the machines page at phone size; outside the demo ----
  await machines.setViewportSize(MOBILE);
  await noSidewaysScroll(machines, 'machines page');
  await machines.setViewportSize(DESKTOP);
  if (NON_DEMO_URL) {
    await machines.goto(`${NON_DEMO_URL}/machines/`, { waitUntil: 'load' });
    await waitFor(machines, 'outside the demo the machines page should say it is for the demo', () => {
      const box = document.getElementById('not-demo');
      return box && !box.hidden && /demonstração/.test(box.textContent) && document.querySelectorAll('[data-machine]').length === 0;
    });
    log('machines page without --demo: says it belongs to the demo');
  }

  check(problems.length === 0, `the pages reported problems:\n  ${problems.join('\n  ')}`);
}

let code = 0;
try {
  await main();
  log('PASS');
} catch (err) {
  code = 1;
  console.error(err instanceof CheckError ? `FAIL: ${err.message}` : `FAIL: ${err.stack || err}`);
  await failureShots().catch(() => {});
} finally {
  await browser?.close().catch(() => {});
}
process.exit(code);
