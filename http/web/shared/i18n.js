// coinop shared i18n: Portuguese (Brazil) and English, chosen from the
// saved choice or navigator.languages, and formatting in the fair's time
// zone. An ES module with no dependencies; pages import it read-only.
//
//   import * as i18n from '/shared/i18n.js';
//   i18n.addMessages({ 'pt-BR': { hello: 'Olá, {name}!' }, en: { hello: 'Hello, {name}!' } });
//   i18n.t('hello', { name: 'Ana' });
//   i18n.translate(document);          // fills [data-i18n], [data-i18n-attr]
//   i18n.mountSwitch(element);         // PT | EN buttons
//   i18n.onChange(() => redraw());     // after a switch
//   i18n.setTimeZone('America/Sao_Paulo'); i18n.fmtTime(date)
//
// A message is a string with {name} placeholders, or a function of the
// variables (for plurals). Markup:
//   <span data-i18n="key"></span>
//   <input data-i18n-attr="placeholder:key; aria-label:other">

export const LANGS = ['pt-BR', 'en'];
const STORE = 'coinop.lang';

const messages = { 'pt-BR': {}, en: {} };
const listeners = new Set();

function load(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}
function save(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode */ }
}

// detect: the saved choice, else the first browser language we speak,
// else the page's default (<html data-lang-default="en">), else Portuguese
// (the fair is in Brazil).
function detect() {
  const saved = load(STORE);
  if (LANGS.includes(saved)) return saved;
  const prefs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''])
    .map((l) => String(l).toLowerCase());
  for (const l of prefs) {
    if (l.startsWith('pt')) return 'pt-BR';
    if (l.startsWith('en')) return 'en';
  }
  const fallback = document.documentElement.dataset.langDefault;
  return LANGS.includes(fallback) ? fallback : 'pt-BR';
}

let lang = detect();
let timeZone;

export const getLang = () => lang;

// setLang switches the language, remembers it, and redraws.
export function setLang(l) {
  if (!LANGS.includes(l) || l === lang) return;
  lang = l;
  save(STORE, l);
  clearFormatters();
  document.documentElement.lang = l;
  translate(document);
  syncSwitches();
  for (const fn of listeners) fn(l);
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function addMessages(dicts) {
  for (const l of LANGS) Object.assign(messages[l], dicts[l] || {});
}

// t translates key with vars; an unknown key shows itself (visible in tests).
export function t(key, vars = {}) {
  let m = messages[lang][key];
  if (m === undefined) m = messages.en[key];
  if (m === undefined) return key;
  if (typeof m === 'function') return m(vars);
  return m.replace(/\{(\w+)\}/g, (all, k) => (vars[k] !== undefined ? String(vars[k]) : all));
}

// has tells whether a message exists (for optional translations).
export const has = (key) => messages[lang][key] !== undefined || messages.en[key] !== undefined;

export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const text = t(el.dataset.i18n);
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

// ---- the PT | EN switch ----

const switches = new Set();

// mountSwitch fills el (any element) with a labelled pair of buttons.
export function mountSwitch(el) {
  el.classList.add('lang-switch');
  el.setAttribute('role', 'group');
  el.setAttribute('aria-label', 'Idioma / Language');
  el.replaceChildren();
  for (const [l, short, name] of [['pt-BR', 'PT', 'Português'], ['en', 'EN', 'English']]) {
    const b = document.createElement('button');
    b.type = 'button';
    b.lang = l;
    b.dataset.lang = l;
    b.textContent = short;
    b.title = name;
    b.setAttribute('aria-label', name);
    b.addEventListener('click', () => setLang(l));
    el.append(b);
  }
  switches.add(el);
  syncSwitches();
}

function syncSwitches() {
  for (const el of switches) {
    for (const b of el.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  }
}

// ---- formatting (locale of the language, time zone of the fair) ----

let fmts = new Map();
function clearFormatters() { fmts = new Map(); }
function fmt(kind, make) {
  if (!fmts.has(kind)) fmts.set(kind, make());
  return fmts.get(kind);
}

// setTimeZone sets the fair's zone (from /api/v2/config); invalid zones
// fall back to the browser's.
export function setTimeZone(tz) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    timeZone = tz;
  } catch {
    timeZone = undefined;
  }
  clearFormatters();
}
export const getTimeZone = () => timeZone;

export const fmtNumber = (n) => fmt('num', () => new Intl.NumberFormat(lang)).format(n);

const dateFmt = (kind, opts) => fmt(kind, () => new Intl.DateTimeFormat(lang, { timeZone, ...opts }));

// fmtTime: 16:31.
export const fmtTime = (d) => dateFmt('time', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
// fmtTimeSeconds: 16:31:05.
export const fmtTimeSeconds = (d) => dateFmt('times', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
// fmtDate: 23 de nov. de 2026 / Nov 23, 2026.
export const fmtDate = (d) => dateFmt('date', { day: 'numeric', month: 'short', year: 'numeric' }).format(d);
// fmtDayMonth: 23 de novembro / November 23.
export const fmtDayMonth = (d) => dateFmt('daymonth', { day: 'numeric', month: 'long' }).format(d);
// fmtDateTime: 23/11/2026 16:31 / 11/23/2026, 16:31.
export const fmtDateTime = (d) => dateFmt('datetime', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);

// zoneName: the fair's zone in words ("Horário de Brasília"), else its id.
export function zoneName() {
  if (!timeZone) return Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    const parts = new Intl.DateTimeFormat(lang, { timeZone, timeZoneName: 'longGeneric' }).formatToParts(new Date());
    const name = parts.find((p) => p.type === 'timeZoneName')?.value;
    if (name && !/^GMT/.test(name)) return name;
  } catch { /* older engines */ }
  return timeZone.replace(/_/g, ' ');
}

// dayKey: YYYY-MM-DD of d in the fair's zone, to group by day.
export function dayKey(d) {
  const parts = fmt('daykey', () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })).formatToParts(d);
  const get = (type) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

// fmtRelativeMinutes: "em 5 minutos" / "in 5 minutes" (at least 1 minute).
export function fmtIn(seconds) {
  const rtf = fmt('rel', () => new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }));
  if (seconds < 60) return rtf.format(Math.max(1, Math.ceil(seconds)), 'second');
  return rtf.format(Math.ceil(seconds / 60), 'minute');
}

document.documentElement.lang = lang;
