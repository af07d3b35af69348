// Real-browser test of the operator console (/admin/), run by
// cmd/coinop/browser_admin_test.go against a --demo server.
//
// Env: BASE_URL (e.g. http://127.0.0.1:8080), CHROMIUM (the browser binary,
// e.g. /usr/bin/chromium), ARTIFACTS (a folder for screenshots), UNKNOWN_OP (an
// operation in unknown state), PLAYER_NAME and PLAYER_ID (its buyer),
// MACHINE_NAME and MACHINE_SLOT (the machine that never reported, and the
// slot it sold from). Exits 0 when every check
// passes, 1 with a message if not. It never downloads a browser.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const TOTAL_TIMEOUT = 240_000; // the whole script (generous: CI machines are busy)
const STEP_TIMEOUT = 20_000; // one check

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`FAIL: environment variable ${name} is not set`);
    process.exit(1);
  }
  return v;
};
const BASE_URL = env('BASE_URL').replace(/\/+$/, '');
const CHROMIUM = env('CHROMIUM');
const ARTIFACTS = env('ARTIFACTS');
const UNKNOWN_OP = Number(env('UNKNOWN_OP'));
const PLAYER_NAME = env('PLAYER_NAME');
const PLAYER_ID = Number(env('PLAYER_ID'));
const MACHINE_NAME = env('MACHINE_NAME');
const MACHINE_SLOT = Number(env('MACHINE_SLOT'));
mkdirSync(ARTIFACTS, { recursive: true });

const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

class CheckError extends Error {}
const check = (ok, msg) => {
  if (!ok) throw new CheckError(msg);
};

let browser;
let page;

const watchdog = setTimeout(async () => {
  console.error(`FAIL: the browser test did not finish within ${TOTAL_TIMEOUT / 1000}s`);
  await page?.screenshot({ path: join(ARTIFACTS, 'admin-failure-timeout.png'), fullPage: true }).catch(() => {});
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

// Screenshots without the toasts of earlier steps, once fonts (emoji) are in.
async function shot(name, { full = true, keepToasts = false } = {}) {
  if (!keepToasts) await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(150);
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: full, timeout: 30_000 });
  log(`screenshot ${path}`);
}

// Both sizes; at 360 px the page must not scroll sideways.
async function shots(base, opts) {
  await shot(`${base}-1280x800.png`, opts);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(300);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= PHONE.width, `${base}: at 360 px wide the page is ${width} px wide (horizontal scrolling)`);
  await shot(`${base}-360x740.png`, opts);
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(200);
}

// Laptop and tablet widths between the phone's stacked cards and a wide desktop.
const NARROW = [768, 1024];

// fitsAt checks, at each of the NARROW widths, that the page does not scroll
// sideways, that no table in the view is wider than its container (nor any of
// its cells than the cell) and that each of the buttons (locators) lies fully
// inside the viewport and inside its card, without scrolling; with a screenshot
// (but at the desktop width, which shots() takes).
async function fitsAt(base, tables, buttons = [], widths = NARROW) {
  for (const width of widths) {
    await page.setViewportSize({ width, height: DESKTOP.height });
    await page.waitForTimeout(300);
    const bad = await page.evaluate((sel) => {
      const out = [];
      const doc = document.documentElement;
      if (doc.scrollWidth > doc.clientWidth) out.push(`the page is ${doc.scrollWidth} px wide in ${doc.clientWidth} (scrolls sideways)`);
      const tables = [...document.querySelectorAll(sel)].filter((t) => t.offsetParent);
      if (!tables.length) out.push(`no table matches ${sel}`);
      for (const t of tables) {
        const c = t.parentElement;
        const name = t.id || `${t.className} in ${c.closest('[data-machine]')?.dataset.machine ?? '?'}`;
        if (c.scrollWidth > c.clientWidth) out.push(`${name}: its container's content is ${c.scrollWidth} px wide in ${c.clientWidth}`);
        for (const td of t.querySelectorAll('td')) {
          if (td.offsetParent && td.scrollWidth > td.clientWidth + 1) out.push(`${name}: the cell "${td.dataset.label || td.className}" holds ${td.scrollWidth} px in ${td.clientWidth}`);
        }
      }
      return out;
    }, tables);
    for (const b of buttons) {
      const name = await b.getAttribute('aria-label');
      if (!(await b.isVisible())) {
        bad.push(`the button "${name}" is not shown`);
        continue;
      }
      const box = await b.boundingBox();
      const card = await b.locator('xpath=ancestor::*[contains(concat(" ", normalize-space(@class), " "), " card ")][1]').boundingBox();
      const inside = (o, i) => o.x >= i.x - 0.5 && o.y >= i.y - 0.5 && o.x + o.width <= i.x + i.width + 0.5 && o.y + o.height <= i.y + i.height + 0.5;
      const r = (o) => `x ${Math.round(o.x)}–${Math.round(o.x + o.width)}, y ${Math.round(o.y)}–${Math.round(o.y + o.height)}`;
      if (!inside(box, { x: 0, y: 0, width, height: DESKTOP.height })) bad.push(`the button "${name}" (${r(box)}) is not fully inside the ${width}×${DESKTOP.height} viewport`);
      if (!inside(box, card)) bad.push(`the button "${name}" (${r(box)}) is not fully inside its card (${r(card)})`);
    }
    const scrolled = await page.evaluate(() => window.scrollX + Math.max(0, ...[...document.querySelectorAll('.card')].map((c) => c.scrollLeft)));
    if (scrolled !== 0) bad.push(`the page or a card is scrolled sideways (${scrolled} px)`);
    check(bad.length === 0, `${base} at ${width} px:\n  ${bad.join('\n  ')}`);
    if (width !== DESKTOP.width) await shot(`${base}-${width}x${DESKTOP.height}.png`, { full: false });
  }
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(200);
}

async function waitFor(msg, fn, arg, timeout = STEP_TIMEOUT) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 50 });
    return await handle.jsonValue();
  } catch (err) {
    const state = await page.evaluate(() => JSON.stringify({
      screen: document.body.dataset.screen,
      hash: location.hash,
      toasts: [...document.querySelectorAll('.toast')].map((t) => t.textContent),
      dialogs: [...document.querySelectorAll('dialog[open]')].map((d) => d.id),
    })).catch(() => '(page state unavailable)');
    throw new CheckError(`${msg} (waited ${timeout / 1000}s)\n  page state: ${state}\n  cause: ${err.message.split('\n')[0]}`);
  }
}

// api calls the server from the page, with the page's session cookie.
const api = (path, init) => page.evaluate(async ([p, i]) => {
  const r = await fetch(p, { credentials: 'same-origin', ...(i || {}) });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}, [path, init || null]);

const toastSays = (re) => waitFor(`a success toast matching ${re}`, (src) => {
  const r = new RegExp(src, 'i');
  return [...document.querySelectorAll('.toast.success')].some((t) => r.test(t.textContent));
}, re.source);

async function main() {
  log(`launching ${CHROMIUM}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 60_000,
  });
  // A browser far from the fair (Tokyo) in Portuguese: times must still be the fair's.
  const context = await browser.newContext({
    viewport: DESKTOP, deviceScaleFactor: 1, locale: 'pt-BR', timezoneId: 'Asia/Tokyo',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);

  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    // the first /api/v2/me answers 401 (not signed in yet): expected
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });

  // 1. Not signed in: the sign-in card with the demo form, clearly DEMO.
  log(`opening ${BASE_URL}/admin/`);
  const resp = await page.goto(`${BASE_URL}/admin/`, { waitUntil: 'load' });
  check(resp && resp.ok(), `GET /admin/ answered ${resp && resp.status()}`);
  await waitFor('the sign-in screen', () => document.body.dataset.screen === 'signin');
  check(await page.locator('#demo-form').isVisible(), 'the demo sign-in form is not shown on a demo server');
  check(/DEMO/.test(await page.locator('#demo-form .demo-badge').textContent()), 'the demo form is not marked DEMO');
  check(!(await page.locator('#signin-google').isVisible()), 'the Google sign-in shows though the server has no login configured');
  check((await page.title()).includes('operador'), `title "${await page.title()}" is not Portuguese for a pt-BR browser`);
  await shot('admin-signin-1280x800.png', { full: false });

  // An empty name is refused in the page; then the operator signs in with the keyboard.
  await page.getByRole('button', { name: 'Entrar como operador' }).click();
  await waitFor('an error for the empty name', () => /Preencha/.test(document.getElementById('demo-error').textContent));
  await page.getByLabel('Nome do operador').fill('Rita Operadora');
  await page.getByLabel('Nome do operador').press('Enter');
  await waitFor('the console after sign-in', () => document.body.dataset.screen === 'console');
  check((await page.locator('#me-name').textContent()) === 'Rita Operadora', 'the signed-in operator is not shown');
  log('signed in as Rita Operadora (demo)');

  // 2. Machines: live status and stock; edit a vending slot.
  await waitFor('machine cards', () => document.querySelectorAll('.machine').length >= 4);
  const ours = page.locator('.machine', { hasText: MACHINE_NAME });
  await waitFor(`${MACHINE_NAME} shown connected`, (name) => [...document.querySelectorAll('.machine')]
    .some((c) => c.textContent.includes(name) && c.dataset.status !== 'offline'), MACHINE_NAME);
  check(/Conectada/.test(await ours.locator('.conn').textContent()), `${MACHINE_NAME} does not say Conectada`);
  const contact1 = await page.locator('.machine[data-machine="1"] .m-contact').textContent();
  check(contact1.trim() !== '', 'no last contact shown');

  const vending = page.locator('.machine[data-machine="1"]');
  const before = Number(await vending.locator('tr[data-slot="2"] .qty').getAttribute('data-qty'));
  const want = before === 7 ? 8 : 7;
  await vending.getByRole('button', { name: /Editar slot 2 de/ }).click();
  const qty = vending.locator('tr.editing input[type=number]');
  await qty.fill(String(want));
  await vending.getByRole('button', { name: 'Salvar' }).click();
  await waitFor(`slot 2 of machine 1 showing quantity ${want}`,
    (w) => document.querySelector('.machine[data-machine="1"] tr[data-slot="2"] .qty')?.dataset.qty === String(w), want);
  await toastSays(/Slot 2 de/);
  const ms = await api('/api/v2/admin/machines');
  const slot2 = ms.body.find((m) => m.id === 1).stock.find((s) => s.slot === 2);
  check(slot2 && slot2.quantity === want, `the API says slot 2 of machine 1 holds ${slot2 && slot2.quantity}, want ${want}`);
  log(`stock: machine 1 slot 2 ${before} -> ${want} (shown and in the API)`);

  // Add a slot with the keyboard (Enter saves).
  await vending.getByRole('button', { name: /Adicionar slot em/ }).click();
  const adding = vending.locator('tr.adding');
  await adding.locator('input.slot-input').fill('4');
  await adding.locator('input.qty-input').fill('5');
  await adding.locator('input.qty-input').press('Enter');
  await waitFor('new slot 4 of machine 1', () => document.querySelector('.machine[data-machine="1"] tr[data-slot="4"] .qty')?.dataset.qty === '5');
  log('stock: slot 4 added to machine 1');

  // The status refreshes by itself (every 2 s): the relative time moves.
  await waitFor('the machines refreshed by polling', (old) => {
    const el = document.querySelector('.machine[data-machine="1"] .m-contact time');
    return el && el.textContent !== old;
  }, await page.locator('.machine[data-machine="1"] .m-contact time').textContent(), 8000).catch(() => log('(last contact text unchanged; the machine may be silent)'));
  await shots('admin-machines');
  await fitsAt('admin-machines', '.stock-table');
  log('machines: the stock tables fit at 768 and 1024 px');

  // 3. The unknown operation: listed, in the fair's time zone, settled with Complete.
  await page.getByRole('link', { name: /Operações/ }).click();
  await waitFor('the operations view', () => location.hash === '#operations');
  await waitFor('the unknown-operations badge', () => Number(document.getElementById('nav-unknown').textContent) >= 1);
  const row = page.locator(`#ops-rows tr[data-op="${UNKNOWN_OP}"]`);
  await row.waitFor({ state: 'visible' });
  check(/Desconhecida/.test(await row.textContent()), `operation ${UNKNOWN_OP} does not say Desconhecida`);
  check((await row.textContent()).includes(PLAYER_NAME), `operation ${UNKNOWN_OP} does not name ${PLAYER_NAME}`);
  const ops = await api('/api/v2/admin/operations?status=unknown');
  const op = ops.body.find((o) => o.operation === UNKNOWN_OP);
  check(op, `the API does not list operation ${UNKNOWN_OP} as unknown`);
  const fairTime = op.timestamp.slice(11, 19); // HH:MM:SS at the fair (the API's offset)
  check((await row.textContent()).includes(fairTime), `operation ${UNKNOWN_OP} is not shown at the fair's time ${fairTime} (browser in Tokyo): "${await row.textContent()}"`);
  log(`unknown operation #${UNKNOWN_OP} listed at ${fairTime} (fair time)`);
  // Where to go and look: the machine's name and the slot, in the row.
  const where = row.locator('.op-machine');
  check(await where.isVisible(), `operation ${UNKNOWN_OP} does not show its machine`);
  const whereText = (await where.textContent()).replace(/\s+/g, ' ').trim();
  check(whereText === `${MACHINE_NAME} slot ${MACHINE_SLOT}`, `operation ${UNKNOWN_OP} shows machine "${whereText}", want "${MACHINE_NAME} slot ${MACHINE_SLOT}"`);
  check(op.machine && op.machine.name === MACHINE_NAME && op.machine.slot === MACHINE_SLOT, `the API names machine ${JSON.stringify(op.machine)}`);
  log(`unknown operation #${UNKNOWN_OP} shows ${whereText}`);
  // With the machine column, both actions still fit in the table's card.
  const card = await page.locator('#ops-table').locator('xpath=..').boundingBox();
  const refund = await row.getByRole('button', { name: `Estornar a operação ${UNKNOWN_OP}` }).boundingBox();
  check(refund.x + refund.width <= card.x + card.width, `at ${DESKTOP.width} px the Refund button (right edge ${refund.x + refund.width}) overflows the card (${card.x + card.width})`);
  await shots('admin-unknown');
  // On laptops and tablets too, both actions are in view and the table fits its card.
  await fitsAt('admin-unknown', '#ops-table', [
    row.getByRole('button', { name: `Concluir a operação ${UNKNOWN_OP}` }),
    row.getByRole('button', { name: `Estornar a operação ${UNKNOWN_OP}` }),
  ], [...NARROW, DESKTOP.width]);
  log('operations: Complete and Refund in view, the table within its card, at 768 and 1024 px');

  // Cancel first (Escape), then confirm.
  await row.getByRole('button', { name: `Concluir a operação ${UNKNOWN_OP}` }).click();
  await waitFor('the confirm dialog', () => document.getElementById('dlg-confirm').open);
  check((await page.locator('#dlg-confirm-title').textContent()).includes(`#${UNKNOWN_OP}`), 'the confirm dialog does not name the operation');
  const look = (await page.locator('#dlg-confirm-body .settle-look').textContent()).replace(/\s+/g, ' ');
  check(look.includes(`Vá até a máquina ${MACHINE_NAME}, slot ${MACHINE_SLOT}`), `the confirm dialog does not send the operator to ${MACHINE_NAME}, slot ${MACHINE_SLOT}: "${look}"`);
  await shots('admin-settle-dialog', { full: false });
  await page.keyboard.press('Escape');
  await waitFor('the confirm dialog closed by Escape', () => !document.getElementById('dlg-confirm').open);
  check(await row.isVisible(), 'Escape settled the operation');
  await row.getByRole('button', { name: `Concluir a operação ${UNKNOWN_OP}` }).click();
  await page.locator('#dlg-confirm-ok').click();
  await row.waitFor({ state: 'detached' });
  await toastSays(new RegExp(`Operação #${UNKNOWN_OP} concluída`));
  const after = await api('/api/v2/admin/operations?status=unknown');
  check(!after.body.some((o) => o.operation === UNKNOWN_OP), `operation ${UNKNOWN_OP} is still unknown in the API`);
  await waitFor('the empty state', () => /Nada a resolver/.test(document.getElementById('ops-rows').textContent));
  log(`operation #${UNKNOWN_OP} completed`);

  // 4. Players: find the buyer, the statement shows the purchase completed; credit from the bank.
  await page.getByRole('link', { name: /Jogadores/ }).click();
  await page.getByRole('searchbox').fill(PLAYER_NAME.split(' ')[0]);
  const prow = page.locator(`#people-rows tr[data-person="${PLAYER_ID}"]`);
  await prow.waitFor({ state: 'visible' });
  await prow.getByRole('button', { name: `Abrir extrato de ${PLAYER_NAME}` }).click();
  await waitFor('the statement drawer', () => document.getElementById('drawer').open);
  const item = page.locator(`#drawer-statement li[data-op="${UNKNOWN_OP}"]`);
  await item.waitFor({ state: 'visible' });
  check((await item.getAttribute('data-status')) === 'completed', `the statement shows operation ${UNKNOWN_OP} as ${await item.getAttribute('data-status')}`);
  check(/Concluída/.test(await item.textContent()), 'the statement line does not say Concluída');
  log(`statement of ${PLAYER_NAME}: #${UNKNOWN_OP} completed`);
  const balanceBefore = await page.locator('#drawer-balance').textContent();
  await page.getByLabel('Valor').fill('15');
  await page.getByLabel('Motivo').fill('Prêmio do torneio de robótica');
  await page.getByRole('button', { name: 'Creditar', exact: true }).click();
  await toastSays(/creditados para/);
  await waitFor('the credit in the statement', () => [...document.querySelectorAll('#drawer-statement li')]
    .some((li) => /Prêmio do torneio de robótica/.test(li.textContent)));
  await waitFor('the balance updated', (b) => document.getElementById('drawer-balance').textContent !== b, balanceBefore);
  log(`credited 15 to ${PLAYER_NAME}: ${balanceBefore} -> ${await page.locator('#drawer-balance').textContent()}`);
  await shots('admin-players', { full: false });
  await page.keyboard.press('Escape');
  await waitFor('the drawer closed by Escape', () => !document.getElementById('drawer').open);
  log('drawer closed with Escape');

  // 5. API keys: create (shown once, copy), then revoke with a confirmation.
  await page.getByRole('link', { name: /Chaves de API/ }).click();
  await page.getByRole('button', { name: 'Nova chave' }).click();
  await page.getByLabel('Usuário').fill('e2e-kiosk');
  await page.getByRole('button', { name: 'Criar chave' }).click();
  await waitFor('the key shown once', () => document.getElementById('dlg-secret').open && /^cok_/.test(document.getElementById('dlg-secret-key').value));
  const secret = await page.locator('#dlg-secret-key').inputValue();
  log('API key shown once');
  await page.getByRole('button', { name: 'Copiar' }).click();
  await waitFor('the key copied', () => document.getElementById('dlg-secret-copy').classList.contains('copied'));
  const clip = await Promise.race([
    page.evaluate(() => navigator.clipboard.readText()).catch(() => null),
    new Promise((resolve) => { setTimeout(() => resolve(null), 3000); }),
  ]);
  check(clip === null || clip === secret, 'the clipboard does not hold the key');
  log(`copied${clip === null ? ' (clipboard not readable here)' : ' to the clipboard'}`);
  await shot('admin-keys-created-1280x800.png', { full: false, keepToasts: true });
  await page.getByRole('button', { name: 'Guardei a chave' }).click();
  await waitFor('the key dialog closed', () => !document.getElementById('dlg-secret').open);
  const leaked = await page.evaluate((s) => document.documentElement.outerHTML.includes(s)
    || [...document.querySelectorAll('input, textarea')].some((i) => i.value.includes(s)), secret);
  check(!leaked, 'the key is still in the page after its dialog closed');
  const krow = page.locator('#keys-rows tr[data-user="e2e-kiosk"]');
  await krow.waitFor({ state: 'visible' });
  check(/Ativa/.test(await krow.textContent()), 'the new key is not listed as active');
  const listed = await api('/api/v2/admin/apikeys');
  check(!JSON.stringify(listed.body).includes(secret), 'the key list shows the key');
  log('API key created for e2e-kiosk, shown once');

  await krow.getByRole('button', { name: /Revogar a chave/ }).click();
  await waitFor('the revoke confirmation', () => document.getElementById('dlg-confirm').open);
  await page.getByRole('button', { name: 'Cancelar' }).click();
  check(/Ativa/.test(await krow.textContent()), 'Cancel revoked the key');
  await krow.getByRole('button', { name: /Revogar a chave/ }).click();
  await page.locator('#dlg-confirm-ok').click();
  await waitFor('the key listed as revoked', () => /Revogada/.test(document.querySelector('#keys-rows tr[data-user="e2e-kiosk"]')?.textContent || ''));
  await toastSays(/revogada/);
  const keys = await api('/api/v2/admin/apikeys');
  const k = keys.body.find((x) => x.user === 'e2e-kiosk');
  check(k && k.revoked_at, 'the API does not list the key as revoked');
  log('API key of e2e-kiosk revoked');
  await shots('admin-keys');

  // 6. The other views load; then English, kept across a reload.
  for (const [name, sel] of [['Produtos', '#products-rows tr[data-product]'], ['Banco', '#bank-rows tr[data-op]']]) {
    await page.getByRole('link', { name }).click();
    await page.locator(sel).first().waitFor({ state: 'visible' });
  }
  await page.getByRole('link', { name: 'Auditoria' }).click();
  await waitFor('the settlement, the credit and the key in the audit log', () => {
    const text = document.getElementById('audit-rows').textContent;
    return /Resolveu operação/.test(text) && /Creditou do banco/.test(text) && /Revogou chave de API/.test(text);
  });
  await shot('admin-audit-1280x800.png');
  await page.getByRole('button', { name: 'EN' }).first().click();
  await waitFor('English labels', () => document.querySelector('.nav-link[data-view="machines"]').textContent.trim() === 'Machines');
  await page.reload({ waitUntil: 'load' });
  await waitFor('English kept after reload', () => document.body.dataset.screen === 'console'
    && document.querySelector('.nav-link[data-view="audit"]').textContent.trim() === 'Audit log');
  await page.getByRole('link', { name: 'Bank' }).click();
  await waitFor('the bank figures', () => /\d/.test(document.getElementById('bank-issued').textContent));
  await shot('admin-bank-en-1280x800.png');
  log('language: English kept across a reload');

  // In English, the settled purchase among the completed operations still names its machine and slot.
  await page.getByRole('link', { name: /Operations/ }).click();
  await page.getByRole('button', { name: 'Completed', exact: true }).click();
  const done = page.locator(`#ops-rows tr[data-op="${UNKNOWN_OP}"]`);
  await done.waitFor({ state: 'visible' });
  const cell = done.locator('td.op-machine-cell');
  check(await cell.getAttribute('data-label') === 'Machine', `the machine cell is labelled "${await cell.getAttribute('data-label')}" in English`);
  check((await cell.textContent()).replace(/\s+/g, ' ').trim() === `${MACHINE_NAME} slot ${MACHINE_SLOT}`, `the completed operation shows machine "${await cell.textContent()}"`);
  await shots('admin-completed-en');
  await fitsAt('admin-completed-en', '#ops-table');
  log(`English: completed #${UNKNOWN_OP} at ${MACHINE_NAME}, slot ${MACHINE_SLOT}`);

  check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
}

let code = 0;
try {
  await main();
  log('PASS');
} catch (err) {
  code = 1;
  console.error(err instanceof CheckError ? `FAIL: ${err.message}` : `FAIL: ${err.stack || err}`);
  await page?.screenshot({ path: join(ARTIFACTS, 'admin-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser?.close().catch(() => {});
}
process.exit(code);
