// coinop operator console (/admin/): machines with live status and stock,
// products, players and their statements, the bank, operations in unknown
// state, API keys and the audit log. Plain JavaScript, no build step; the
// server's CSP allows only same-origin files, so nothing here is inline.
// Strings live in i18n.js (Portuguese and English).
'use strict';

(() => {
  const DICT = window.COINOP_ADMIN_I18N;
  const LANG_STORE = 'coinop.lang';
  const POLL_EVERY = 2000; // machines and the unknown-operations badge
  const BANK_ID = 1; // account 1 is the central bank
  const STATEMENT_PAGE = 30;
  const AUDIT_NAMES = 200; // people fetched to name audit actors

  const $ = (id) => document.getElementById(id);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

  // ---- DOM helpers (no innerHTML with data: every text goes through textContent) ----

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'value') el.value = v;
        else el.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of kids.flat(Infinity)) {
      if (c == null || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }

  // fill replaces el's children, skipping null and false.
  function fill(el, ...kids) {
    el.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false));
    return el;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function icon(name, cls = 'ic') {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', cls);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const use = document.createElementNS(SVG, 'use');
    use.setAttribute('href', `#i-${name}`);
    svg.append(use);
    return svg;
  }

  const ls = {
    get(k) { try { return localStorage.getItem(k); } catch { return null; } },
    set(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode */ } },
  };

  // ---- language ----

  function pickLang() {
    const saved = ls.get(LANG_STORE);
    if (saved && DICT[saved]) return saved;
    const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'pt-BR';
    return /^pt\b/i.test(nav) ? 'pt-BR' : 'en';
  }
  let lang = pickLang();

  function t(key, vars) {
    let s = DICT[lang][key];
    if (s == null) s = DICT.en[key];
    if (s == null) return key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] == null ? '' : String(vars[k])));
    return s;
  }

  // tNodes is t with nodes for placeholders: the translation's text around them stays text.
  function tNodes(key, nodes) {
    const s = DICT[lang][key] ?? DICT.en[key] ?? key;
    return s.split(/\{(\w+)\}/).map((x, i) => (i % 2 ? nodes[x] ?? '' : x));
  }

  function applyStatic() {
    document.documentElement.lang = lang;
    for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of $$('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of $$('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
    for (const el of $$('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
    for (const b of $$('.lang-btn')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
    document.title = t('doc.title');
  }

  function setLang(l) {
    if (!DICT[l] || l === lang) return;
    lang = l;
    ls.set(LANG_STORE, l);
    makeFormatters();
    applyStatic();
    if (state.me) {
      renderMe();
      rerenderView();
    } else if (document.body.dataset.screen === 'signin') {
      showSignin(state.notOperator);
    }
  }

  // ---- formatting (times in the fair's time zone) ----

  let tz = 'America/Sao_Paulo';
  const fmt = {};
  function makeFormatters() {
    let zone = tz;
    try { new Intl.DateTimeFormat('en', { timeZone: zone }); } catch { zone = undefined; }
    fmt.num = new Intl.NumberFormat(lang);
    fmt.signed = new Intl.NumberFormat(lang, { signDisplay: 'exceptZero' });
    fmt.dateTime = new Intl.DateTimeFormat(lang, { timeZone: zone, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    fmt.full = new Intl.DateTimeFormat(lang, { timeZone: zone, dateStyle: 'full', timeStyle: 'long' });
    fmt.date = new Intl.DateTimeFormat(lang, { timeZone: zone, day: '2-digit', month: 'short', year: 'numeric' });
    fmt.rel = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
  }

  const num = (n) => fmt.num.format(n);
  const money = (n) => `${fmt.num.format(n)} ${t('unit')}`;
  const when = (iso) => (iso ? fmt.dateTime.format(new Date(iso)) : '–');
  const fullWhen = (iso) => (iso ? fmt.full.format(new Date(iso)) : '');
  const day = (iso) => (iso ? fmt.date.format(new Date(iso)) : '–');

  function ago(iso) {
    if (!iso) return t('never');
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 5) return t('time.now');
    if (s < 60) return fmt.rel.format(-Math.round(s), 'second');
    if (s < 3600) return fmt.rel.format(-Math.floor(s / 60), 'minute');
    if (s < 86400) return fmt.rel.format(-Math.floor(s / 3600), 'hour');
    return fmt.rel.format(-Math.floor(s / 86400), 'day');
  }

  function timeEl(iso, text) {
    return h('time', { datetime: iso || null, title: fullWhen(iso) || null }, text == null ? when(iso) : text);
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
    const a = parts[0] ? [...parts[0]][0] : '?';
    const b = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
    return (a + b).toUpperCase();
  }

  function avatar(el, name, id) {
    el.textContent = initials(name);
    el.dataset.hue = String(Math.abs(Number(id) || 0) % 8);
  }

  // ---- API ----

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  const idemKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

  async function api(method, path, body, headers) {
    const opt = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...(headers || {}) } };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(`/api/v2${path}`, opt);
    } catch {
      throw new ApiError(0, 'network', t('err.network'));
    }
    if (resp.status === 204) return null;
    let data = null;
    try { data = await resp.json(); } catch { /* empty or not JSON */ }
    if (!resp.ok) {
      const err = new ApiError(resp.status, data && data.error, (data && data.message) || `${resp.status} ${resp.statusText}`);
      if (resp.status === 401 && state.me) sessionLost();
      throw err;
    }
    return data;
  }

  // A message for an error, in the operator's language where the code says enough.
  function errText(err) {
    if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
    const known = { network: 'err.network', rate_limited: 'err.rate_limited', unavailable: 'err.unavailable', internal: 'err.internal', forbidden: null };
    if (known[err.code]) return t(known[err.code]);
    const msg = err.message || '';
    return msg ? msg.charAt(0).toUpperCase() + msg.slice(1) : t('err.generic');
  }

  // ---- toasts ----

  function toast(kind, text) {
    const box = $('toasts');
    const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
      icon(kind === 'error' ? 'alert' : 'check'),
      h('span', { class: 'toast-text', text }),
      h('button', { type: 'button', class: 'toast-x', 'aria-label': t('close'), onclick: () => dismiss() }, icon('x')));
    let gone = false;
    const dismiss = () => {
      if (gone) return;
      gone = true;
      el.classList.add('out');
      setTimeout(() => el.remove(), 200);
    };
    box.append(el);
    while (box.children.length > 4) box.firstElementChild.remove();
    setTimeout(dismiss, kind === 'error' ? 9000 : 6000);
  }
  const ok = (text) => toast('success', text);
  const fail = (err) => toast('error', typeof err === 'string' ? err : errText(err));

  // ---- dialogs: confirm, form, secret shown once ----

  function openModal(dlg) {
    if (!dlg.open) dlg.showModal();
  }

  function confirmDialog({ title, body, okLabel, danger }) {
    const dlg = $('dlg-confirm');
    $('dlg-confirm-title').textContent = title;
    const b = $('dlg-confirm-body');
    b.replaceChildren(...[].concat(body).map((x) => (x instanceof Node ? x : h('p', { text: x }))));
    const okBtn = $('dlg-confirm-ok');
    okBtn.textContent = okLabel;
    okBtn.className = `btn ${danger ? 'danger' : 'primary'}`;
    return new Promise((resolve) => {
      const done = (v) => {
        okBtn.removeEventListener('click', yes);
        $('dlg-confirm-cancel').removeEventListener('click', no);
        dlg.removeEventListener('close', no);
        if (dlg.open) dlg.close();
        resolve(v);
      };
      const yes = () => done(true);
      const no = () => done(false);
      okBtn.addEventListener('click', yes);
      $('dlg-confirm-cancel').addEventListener('click', no);
      dlg.addEventListener('close', no);
      openModal(dlg);
      $('dlg-confirm-cancel').focus();
    });
  }

  // formDialog shows fields; onSubmit(values) may throw to keep it open with the error.
  // A field: {name, label, type: text|number|select|textarea, options: [[value, label]],
  // value, required, hint, min, max, placeholder, maxlength, disabled, when(values), autocomplete}.
  let formSubmit = null;
  function formDialog({ title, submitLabel, fields, onSubmit, note }) {
    const dlg = $('dlg-form');
    $('dlg-form-title').textContent = title;
    $('dlg-form-submit').textContent = submitLabel;
    $('dlg-form-error').textContent = '';
    const body = $('dlg-form-body');
    body.replaceChildren();
    if (note) body.append(note instanceof Node ? note : h('p', { class: 'modal-note', text: note }));
    const inputs = {};
    const wraps = {};
    for (const f of fields) {
      const id = `ff-${f.name}`;
      let input;
      if (f.type === 'select') {
        input = h('select', { class: 'input', id, name: f.name, disabled: f.disabled },
          f.options.map(([v, l]) => h('option', { value: v, text: l })));
        input.value = f.value == null ? f.options[0][0] : String(f.value);
      } else if (f.type === 'textarea') {
        input = h('textarea', { class: 'input', id, name: f.name, rows: 2, maxlength: f.maxlength, placeholder: f.placeholder, disabled: f.disabled });
        input.value = f.value == null ? '' : f.value;
      } else {
        input = h('input', {
          class: `input${f.mono ? ' mono' : ''}`, id, name: f.name, type: f.type || 'text', min: f.min, max: f.max, step: f.type === 'number' ? 1 : null,
          inputmode: f.type === 'number' ? 'numeric' : null, maxlength: f.maxlength, placeholder: f.placeholder, disabled: f.disabled,
          autocomplete: f.autocomplete || 'off', spellcheck: f.mono ? 'false' : null,
        });
        input.value = f.value == null ? '' : String(f.value);
      }
      if (f.required) input.required = true;
      const hintId = f.hint ? `${id}-hint` : null;
      if (hintId) input.setAttribute('aria-describedby', hintId);
      inputs[f.name] = input;
      wraps[f.name] = h('div', { class: `field-wrap${f.half ? ' half' : ''}` },
        h('label', { class: 'label', for: id }, f.label, f.required || f.type === 'select' ? '' : h('span', { class: 'optional', text: ` ${t('optional')}` })),
        input,
        f.hint ? h('p', { class: 'hint', id: hintId, text: f.hint }) : null);
    }
    body.append(h('div', { class: 'form-grid' }, Object.values(wraps)));
    const values = () => Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    const sync = () => {
      const v = values();
      for (const f of fields) if (f.when) wraps[f.name].hidden = !f.when(v);
    };
    for (const el of Object.values(inputs)) el.addEventListener('change', sync);
    sync();
    formSubmit = async () => {
      const v = values();
      for (const f of fields) {
        const el = inputs[f.name];
        el.removeAttribute('aria-invalid');
        if (wraps[f.name].hidden || el.disabled) continue;
        if (f.required && !v[f.name]) {
          el.setAttribute('aria-invalid', 'true');
          $('dlg-form-error').textContent = t('err.required', { field: f.label });
          el.focus();
          return;
        }
        if (f.type === 'number' && v[f.name] !== '' && !/^\d+$/.test(v[f.name])) {
          el.setAttribute('aria-invalid', 'true');
          $('dlg-form-error').textContent = t('err.whole', { field: f.label });
          el.focus();
          return;
        }
      }
      const submit = $('dlg-form-submit');
      submit.disabled = true;
      $('dlg-form-error').textContent = '';
      try {
        await onSubmit(v, (name) => !wraps[name].hidden);
        dlg.close();
      } catch (err) {
        $('dlg-form-error').textContent = errText(err);
      } finally {
        submit.disabled = false;
      }
    };
    openModal(dlg);
    const first = fields.find((f) => !f.disabled);
    if (first) inputs[first.name].focus();
  }

  function showSecret({ title, intro, key }) {
    const dlg = $('dlg-secret');
    $('dlg-secret-title').textContent = title;
    $('dlg-secret-intro').textContent = intro;
    const input = $('dlg-secret-key');
    input.value = key;
    const copy = $('dlg-secret-copy');
    copy.classList.remove('copied');
    return new Promise((resolve) => {
      const onClose = () => {
        dlg.removeEventListener('close', onClose);
        input.value = ''; // the key is shown once: it leaves the page with the dialog
        resolve();
      };
      dlg.addEventListener('close', onClose);
      openModal(dlg);
      input.focus();
      input.select();
    });
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const input = $('dlg-secret-key');
      input.focus();
      input.select();
      try { return document.execCommand('copy'); } catch { return false; }
    }
  }

  // ---- small building blocks ----

  function badge(kind, text) {
    return h('span', { class: `badge ${kind}` }, text);
  }

  function statusBadge(status) {
    const tone = { completed: 'green', pending: 'amber', voided: 'gray', unknown: 'red' }[status] || 'gray';
    return h('span', { class: `badge ${tone}`, dataset: { status } }, t(`status.${status}`));
  }

  function emptyRow(cols, title, sub, iconName) {
    return h('tr', { class: 'empty' }, h('td', { colspan: cols },
      h('div', { class: 'empty-box' },
        iconName ? icon(iconName, 'ic empty-ic') : null,
        h('span', { class: 'empty-title', text: title }),
        sub ? h('span', { class: 'empty-sub', text: sub }) : null)));
  }

  function loadingRow(cols) {
    return h('tr', { class: 'loading' }, h('td', { colspan: cols }, h('span', { class: 'spinner small', 'aria-hidden': 'true' }), ' ', t('loading')));
  }

  // td with a label for the stacked (phone) layout
  const td = (label, props, ...kids) => h('td', { 'data-label': label, ...(props || {}) }, ...kids);

  function productImage(p, cls = 'pimg') {
    const img = (p && p.image) || '';
    if (/^(\/|data:image\/)/.test(img)) return h('span', { class: cls }, h('img', { src: img, alt: '' }));
    if (img && !/^https?:/i.test(img) && [...img].length <= 4) return h('span', { class: cls, 'aria-hidden': 'true', text: img });
    return h('span', { class: `${cls} letter`, 'aria-hidden': 'true', text: initials(p ? p.name : '?').slice(0, 1) });
  }

  // The server's reasons for its own settlements, in the operator's language.
  function reasonText(r) {
    const k = `reason.${r}`;
    const v = t(k);
    return v === k ? r : v;
  }

  function kindLabel(type) {
    return t(`ptype.${type}`);
  }

  // ---- state ----

  const state = {
    config: { timezone: tz, demo: false, login: false },
    me: null,
    view: null,
    products: [],
    productById: new Map(),
    machines: [],
    unknown: [],
    unknownJSON: '',
    opsStatus: 'unknown',
    peopleQuery: '',
    people: [],
    keys: [],
    drawerPerson: null,
  };

  // ---- boot and sign-in ----

  function showScreen(name) {
    document.body.dataset.screen = name;
    $('boot').hidden = name !== 'boot';
    $('signin').hidden = name !== 'signin';
    $('console').hidden = name !== 'console';
  }

  async function boot() {
    makeFormatters();
    applyStatic();
    for (const b of $$('.lang-btn')) b.addEventListener('click', () => setLang(b.dataset.lang));
    wireStatic();
    try {
      state.config = await api('GET', '/config');
      tz = state.config.timezone || tz;
      makeFormatters();
    } catch { /* keep the defaults */ }
    let me = null;
    try {
      me = await api('GET', '/me');
    } catch (err) {
      if (err.status !== 401) fail(err);
    }
    if (me && me.operator) startConsole(me);
    else showSignin(me);
  }

  function showSignin(me) {
    stopPolling();
    state.me = null;
    state.notOperator = me || null; // signed in, but not an operator
    const cfg = state.config;
    $('signin-google').hidden = !cfg.login;
    $('demo-form').hidden = !cfg.demo;
    $('signin-none').hidden = !!(cfg.login || cfg.demo);
    $('signin-or').hidden = !(cfg.login && cfg.demo);
    const notop = $('signin-notop');
    notop.hidden = !me;
    if (me) $('signin-notop-text').textContent = t('signin.notop.text', { name: me.name || me.email, email: me.email || '' });
    showScreen('signin');
    const idle = !document.activeElement || document.activeElement === document.body;
    if (cfg.demo && !me && idle) setTimeout(() => $('demo-name').focus(), 0);
  }

  async function demoLogin(ev) {
    ev.preventDefault();
    const name = $('demo-name').value.trim();
    const err = $('demo-error');
    err.textContent = '';
    if (!name) {
      err.textContent = t('err.required', { field: t('signin.demo.name') });
      $('demo-name').setAttribute('aria-invalid', 'true');
      $('demo-name').focus();
      return;
    }
    $('demo-name').removeAttribute('aria-invalid');
    const btn = ev.target.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await api('POST', '/demo/login', { name, operator: true });
      const me = await api('GET', '/me');
      if (me.operator) {
        startConsole(me);
        ok(t('signin.welcome', { name: me.given_name || me.name }));
      } else {
        showSignin(me);
      }
    } catch (e) {
      err.textContent = errText(e);
    } finally {
      btn.disabled = false;
    }
  }

  async function signOut() {
    try { await api('POST', '/auth/logout'); } catch { /* the cookie may be gone already */ }
    state.me = null;
    location.hash = '';
    showSignin(null);
    ok(t('signout.done'));
  }

  function sessionLost() {
    if (!state.me) return;
    state.me = null;
    for (const d of $$('dialog[open]')) d.close();
    showSignin(null);
    toast('error', t('err.session'));
  }

  function renderMe() {
    const me = state.me;
    $('me-name').textContent = me.name || me.email;
    $('me-mail').textContent = me.email || '';
    avatar($('me-avatar'), me.name, me.id);
    $('demo-flag').hidden = !state.config.demo;
    $('demo-strip').hidden = !state.config.demo;
    $('link-machines').hidden = !state.config.demo;
  }

  function startConsole(me) {
    state.me = me;
    renderMe();
    showScreen('console');
    route(false);
    startPolling();
  }

  // ---- routing ----

  const VIEWS = {
    machines: { enter: enterMachines, render: () => renderMachines(true) },
    products: { enter: enterProducts, render: renderProducts },
    players: { enter: enterPlayers, render: renderPeople },
    bank: { enter: enterBank, render: enterBank },
    operations: { enter: enterOperations, render: () => renderOperations(true) },
    keys: { enter: enterKeys, render: renderKeys },
    audit: { enter: enterAudit, render: enterAudit },
  };

  function route(focus = true) {
    if (!state.me) return;
    let v = location.hash.replace(/^#/, '');
    if (!VIEWS[v]) v = 'machines';
    state.view = v;
    for (const s of $$('.view')) s.hidden = s.dataset.view !== v;
    for (const a of $$('.nav-link')) {
      if (a.dataset.view === v) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    revealTab();
    if (focus) {
      const h1 = $(`h-${v}`);
      if (h1) {
        h1.tabIndex = -1;
        h1.focus({ preventScroll: true });
      }
      window.scrollTo(0, 0);
    }
    VIEWS[v].enter();
  }

  // On phones the sections are a scrolling tab strip: keep the current one in sight.
  function revealTab() {
    const nav = document.querySelector('.nav');
    const current = nav && nav.querySelector('[aria-current="page"]');
    if (!current || nav.scrollWidth <= nav.clientWidth) return;
    const left = current.offsetLeft - nav.offsetLeft;
    if (left < nav.scrollLeft || left + current.offsetWidth > nav.scrollLeft + nav.clientWidth) {
      nav.scrollLeft = Math.max(0, left - 24);
    }
  }
  window.addEventListener('resize', () => revealTab());

  function rerenderView() {
    if (state.view) VIEWS[state.view].render();
    renderUnknownCount();
  }

  // ---- polling (every 2 s, while the tab is visible) ----

  let pollTimer = null;
  let polling = false;
  function startPolling() {
    stopPolling();
    polling = true;
    pollTimer = setTimeout(pollLoop, POLL_EVERY);
    refreshUnknown();
  }
  function stopPolling() {
    polling = false;
    clearTimeout(pollTimer);
  }
  let pollBusy = false;
  async function pollLoop() {
    if (!polling || pollBusy) return;
    pollBusy = true;
    try {
      if (!document.hidden && state.me) {
        const jobs = [refreshUnknown()];
        if (state.view === 'machines') jobs.push(loadMachines(false));
        await Promise.allSettled(jobs);
      }
    } finally {
      pollBusy = false;
    }
    clearTimeout(pollTimer);
    if (polling) pollTimer = setTimeout(pollLoop, POLL_EVERY);
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && polling) { // back to the tab: refresh at once
      clearTimeout(pollTimer);
      pollLoop();
    }
  });

  // ---- products (shared by machines and products) ----

  async function loadProducts() {
    const ps = await api('GET', '/admin/products');
    state.products = ps;
    state.productById = new Map(ps.map((p) => [p.product, p]));
    return ps;
  }

  // ---- Machines ----

  const cards = new Map(); // machine id -> card
  let machinesLoaded = false;
  let machinesError = false;

  async function enterMachines() {
    if (!machinesLoaded) $('machines-list').replaceChildren(h('div', { class: 'card loading-card' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', t('loading')));
    try {
      await loadProducts();
    } catch (err) {
      fail(err);
    }
    await loadMachines(true);
  }

  async function loadMachines(force) {
    try {
      state.machines = await api('GET', '/admin/machines');
      machinesLoaded = true;
      machinesError = false;
      $('machines-live').dataset.state = 'live';
      renderMachines(force);
    } catch (err) {
      if (!machinesError) fail(err);
      machinesError = true;
      $('machines-live').dataset.state = 'error';
    }
  }

  function renderMachines(force) {
    if (!machinesLoaded) return;
    const ms = state.machines;
    const online = ms.filter((m) => m.connected).length;
    const busy = ms.filter((m) => m.operation).length;
    const empties = ms.reduce((n, m) => n + m.stock.filter((s) => s.quantity === 0).length, 0);
    $('machines-summary').replaceChildren(
      summaryItem(t('machines.sum.total'), num(ms.length)),
      summaryItem(t('machines.sum.online'), `${num(online)} / ${num(ms.length)}`, online < ms.length ? 'warn' : 'good'),
      summaryItem(t('machines.sum.busy'), num(busy)),
      summaryItem(t('machines.sum.empty'), num(empties), empties ? 'warn' : null),
    );
    const list = $('machines-list');
    if (!ms.length) {
      cards.clear();
      list.replaceChildren(h('div', { class: 'card empty-card' },
        icon('machine', 'ic empty-ic'),
        h('span', { class: 'empty-title', text: t('machines.none') }),
        h('span', { class: 'empty-sub', text: t('machines.none.sub') })));
      return;
    }
    for (const child of [...list.children]) if (!child.dataset.machine) child.remove();
    const seen = new Set();
    ms.forEach((m, i) => {
      seen.add(m.id);
      let card = cards.get(m.id);
      if (!card) {
        card = buildMachineCard(m);
        cards.set(m.id, card);
      }
      updateMachineCard(card, m, force);
      if (list.children[i] !== card.el) list.insertBefore(card.el, list.children[i] || null);
    });
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.el.remove();
        cards.delete(id);
      }
    }
  }

  function summaryItem(label, value, tone) {
    return h('div', { class: `sum-item${tone ? ` ${tone}` : ''}` }, h('span', { class: 'sum-value', text: value }), h('span', { class: 'sum-label', text: label }));
  }

  function buildMachineCard(m) {
    const c = { id: m.id, editing: new Map(), adding: null, stockKey: '' };
    c.dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
    c.title = h('h2', { class: 'machine-name' });
    c.meta = h('p', { class: 'machine-meta' });
    c.desc = h('p', { class: 'machine-desc' });
    c.kind = h('span', { class: 'badge' });
    c.conn = h('span', { class: 'conn-text' });
    c.state = h('dd', { class: 'm-state' });
    c.op = h('dd', { class: 'm-op' });
    c.contact = h('dd', { class: 'm-contact' });
    c.rotate = h('button', { type: 'button', class: 'btn small ghost', onclick: () => rotateKey(c.id) }, icon('key'), h('span', { class: 'btn-text' }));
    c.stockBody = h('tbody');
    c.stockHead = h('thead');
    c.addSlot = h('button', { type: 'button', class: 'btn small ghost add-slot', onclick: () => startAddSlot(c) }, icon('plus'), h('span', { class: 'btn-text' }));
    c.stockTitle = h('h3', { class: 'stock-title' });
    c.el = h('article', { class: 'card machine', dataset: { machine: String(m.id) } },
      h('header', { class: 'machine-head' },
        h('div', { class: 'machine-id' },
          h('div', { class: 'machine-title' }, c.title, c.kind),
          c.meta, c.desc),
        c.rotate),
      h('dl', { class: 'facts' },
        h('div', { class: 'fact-conn' }, h('dt', { dataset: { i: 'machine.connection' } }), h('dd', { class: 'conn' }, c.dot, c.conn)),
        h('div', null, h('dt', { dataset: { i: 'machine.state' } }), c.state),
        h('div', null, h('dt', { dataset: { i: 'machine.operation' } }), c.op),
        h('div', null, h('dt', { dataset: { i: 'machine.contact' } }), c.contact)),
      h('div', { class: 'stock' },
        c.stockTitle,
        h('table', { class: 'stock-table' }, c.stockHead, c.stockBody),
        c.addSlot));
    return c;
  }

  function machineStateText(m) {
    if (!m.connected) return t('mstate.offline');
    if (m.state === 'releasing' && m.kind === 'arcade') return t('mstate.coin');
    return t(`mstate.${m.state || 'idle'}`);
  }

  function updateMachineCard(c, m, force) {
    c.machine = m;
    const status = !m.connected ? 'offline' : (m.operation || m.state !== 'idle') ? 'busy' : 'online';
    c.el.dataset.status = status;
    c.title.textContent = m.name;
    c.kind.textContent = t(`kind.${m.kind}`);
    c.kind.className = `badge ${m.kind === 'vending' ? 'indigo' : 'violet'}`;
    fill(c.meta,
      h('span', { class: 'mono', text: `#${m.id}` }),
      m.location ? h('span', { text: m.location }) : null);
    c.desc.textContent = m.description || '';
    c.desc.hidden = !m.description;
    c.conn.textContent = m.connected ? t('machine.online') : t('machine.offline');
    c.state.textContent = machineStateText(m);
    c.op.replaceChildren(m.operation ? h('span', { class: 'mono', text: `#${m.operation}` }) : h('span', { class: 'muted', text: '—' }));
    c.contact.replaceChildren(timeEl(m.last_contact, ago(m.last_contact)));
    c.rotate.querySelector('.btn-text').textContent = t('machine.rotate');
    c.rotate.setAttribute('aria-label', t('machine.rotate.aria', { name: m.name }));
    c.addSlot.querySelector('.btn-text').textContent = t('machine.addSlot');
    c.addSlot.setAttribute('aria-label', t('machine.addSlot.aria', { name: m.name }));
    c.stockTitle.textContent = m.kind === 'arcade' ? t('machine.stock.arcade') : t('machine.stock');
    for (const dt of c.el.querySelectorAll('dt[data-i]')) dt.textContent = t(dt.dataset.i);
    const key = JSON.stringify(m.stock) + lang;
    if ((force || key !== c.stockKey) && c.editing.size === 0 && !c.adding) {
      c.stockKey = key;
      renderStock(c);
    }
  }

  function renderStock(c) {
    const m = c.machine;
    c.stockHead.replaceChildren(h('tr', null,
      h('th', { scope: 'col', class: 'slot', text: t('stock.slot') }),
      h('th', { scope: 'col', text: t('stock.product') }),
      h('th', { scope: 'col', class: 'num', text: t('stock.qty') }),
      h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only', text: t('actions') }))));
    const rows = [...m.stock].sort((a, b) => a.slot - b.slot).map((s) => stockRow(c, s));
    if (!rows.length) rows.push(h('tr', { class: 'empty' }, h('td', { colspan: 4, class: 'muted', text: t('stock.none') })));
    c.stockBody.replaceChildren(...rows);
  }

  function stockRow(c, s) {
    const p = state.productById.get(s.product);
    const low = s.quantity === 0 ? 'out' : s.quantity <= 2 ? 'low' : '';
    const edit = h('button', {
      type: 'button', class: 'btn small ghost', 'aria-label': t('stock.edit.aria', { slot: s.slot, name: c.machine.name }),
      onclick: () => startEditSlot(c, s),
    }, icon('edit'), h('span', { class: 'btn-text', text: t('edit') }));
    return h('tr', { dataset: { slot: String(s.slot) } },
      h('td', { class: 'slot' }, h('span', { class: 'slot-no', text: String(s.slot) })),
      h('td', null, h('span', { class: 'prod' }, productImage(p),
        h('span', { class: 'prod-text' },
          h('span', { class: 'prod-name', text: p ? p.name : t('stock.unknownProduct', { id: s.product }) }),
          p ? h('span', { class: 'prod-price', text: money(p.price) }) : null))),
      h('td', { class: 'num' }, h('span', { class: `qty ${low}`, dataset: { qty: String(s.quantity) } }, num(s.quantity)),
        low === 'out' ? h('span', { class: 'badge red tiny', text: t('stock.out') }) : null),
      h('td', { class: 'actions' }, edit));
  }

  // The product types a machine can hold.
  const stockable = (kind) => state.products.filter((p) => p.type === (kind === 'arcade' ? 'arcade' : 'foods'));

  function stockEditor(c, s, isNew) {
    const m = c.machine;
    const choices = stockable(m.kind);
    const uid = `${m.id}-${isNew ? 'new' : s.slot}`;
    const slotInput = isNew ? h('input', { class: 'input slot-input', id: `slot-${uid}`, type: 'number', min: 0, step: 1, inputmode: 'numeric', value: String(s.slot) }) : null;
    const select = h('select', { class: 'input', id: `prod-${uid}`, disabled: !choices.length },
      choices.length ? choices.map((p) => h('option', { value: String(p.product), text: `${p.image && [...p.image].length <= 4 ? `${p.image} ` : ''}${p.name}` }))
        : h('option', { value: '', text: t('stock.noProducts') }));
    if (s.product && choices.some((p) => p.product === s.product)) select.value = String(s.product);
    const qty = h('input', { class: 'input qty-input', id: `qty-${uid}`, type: 'number', min: 0, step: 1, inputmode: 'numeric', value: String(s.quantity) });
    const err = h('p', { class: 'field-error', role: 'alert' });
    const save = h('button', { type: 'submit', class: 'btn small primary', text: t('save') });
    const cancel = h('button', { type: 'button', class: 'btn small', text: t('cancel') });
    const form = h('form', { class: 'stock-edit', novalidate: true, 'aria-label': isNew ? t('stock.add.aria', { name: m.name }) : t('stock.edit.aria', { slot: s.slot, name: m.name }) },
      h('div', { class: 'se-field se-slot' }, h('label', { class: 'label', for: isNew ? `slot-${uid}` : null, text: t('stock.slot') }),
        isNew ? slotInput : h('span', { class: 'slot-no', text: String(s.slot) })),
      h('div', { class: 'se-field se-prod' }, h('label', { class: 'label', for: `prod-${uid}`, text: t('stock.product') }), select),
      h('div', { class: 'se-field se-qty' }, h('label', { class: 'label', for: `qty-${uid}`, text: t('stock.qty') }), qty),
      h('div', { class: 'se-actions' }, cancel, save),
      err);
    const close = (reload) => {
      if (isNew) c.adding = null;
      else c.editing.delete(s.slot);
      if (c.editing.size === 0 && !c.adding) {
        c.stockKey = '';
        updateMachineCard(c, (state.machines.find((x) => x.id === m.id)) || m, true);
      }
      if (reload) loadMachines(true);
      const back = c.el.querySelector(isNew ? '.add-slot' : `tr[data-slot="${s.slot}"] button`);
      if (back) back.focus();
    };
    cancel.addEventListener('click', () => close(false));
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close(false);
      }
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const slot = isNew ? slotInput.value.trim() : String(s.slot);
      const q = qty.value.trim();
      if (!/^\d+$/.test(slot)) {
        err.textContent = t('err.whole', { field: t('stock.slot') });
        slotInput.focus();
        return;
      }
      if (!select.value) {
        err.textContent = t('stock.noProducts');
        return;
      }
      if (!/^\d+$/.test(q)) {
        err.textContent = t('err.whole', { field: t('stock.qty') });
        qty.focus();
        return;
      }
      save.disabled = true;
      try {
        await api('PUT', `/admin/machines/${m.id}/stock/${slot}`, { product: Number(select.value), quantity: Number(q) });
        const p = state.productById.get(Number(select.value));
        const known = state.machines.find((x) => x.id === m.id);
        if (known) {
          const entry = { slot: Number(slot), product: Number(select.value), quantity: Number(q) };
          known.stock = known.stock.filter((x) => x.slot !== entry.slot).concat(entry);
        }
        ok(t('stock.saved', { slot, name: m.name, product: p ? p.name : select.value, qty: num(Number(q)) }));
        close(true);
      } catch (ex) {
        err.textContent = errText(ex);
        save.disabled = false;
      }
    });
    return { form, focus: () => (isNew ? slotInput : qty).focus() };
  }

  function startEditSlot(c, s) {
    if (c.editing.has(s.slot)) return;
    const row = c.stockBody.querySelector(`tr[data-slot="${s.slot}"]`);
    const ed = stockEditor(c, s, false);
    const tr = h('tr', { class: 'editing', dataset: { slot: String(s.slot) } }, h('td', { colspan: 4 }, ed.form));
    c.editing.set(s.slot, tr);
    row.replaceWith(tr);
    ed.focus();
    $('qty-' + `${c.machine.id}-${s.slot}`).select();
  }

  function startAddSlot(c) {
    if (c.adding) {
      c.adding.querySelector('input').focus();
      return;
    }
    const next = c.machine.stock.reduce((n, s) => Math.max(n, s.slot), 0) + 1;
    const choices = stockable(c.machine.kind);
    const ed = stockEditor(c, { slot: next, product: choices[0] ? choices[0].product : 0, quantity: c.machine.kind === 'arcade' ? 99 : 10 }, true);
    const tr = h('tr', { class: 'editing adding' }, h('td', { colspan: 4 }, ed.form));
    c.adding = tr;
    const empty = c.stockBody.querySelector('tr.empty');
    if (empty) empty.remove();
    c.stockBody.append(tr);
    ed.focus();
  }

  function addMachine() {
    formDialog({
      title: t('machines.add'),
      submitLabel: t('machines.add.submit'),
      fields: [
        { name: 'name', label: t('machine.f.name'), required: true, maxlength: 80, placeholder: t('machine.f.name.ph') },
        { name: 'kind', label: t('machine.f.kind'), type: 'select', options: [['vending', t('kind.vending')], ['arcade', t('kind.arcade')]], hint: t('machine.f.kind.hint') },
        { name: 'location', label: t('machine.f.location'), maxlength: 120, placeholder: t('machine.f.location.ph') },
        { name: 'description', label: t('machine.f.description'), type: 'textarea', maxlength: 500 },
      ],
      onSubmit: async (v) => {
        const r = await api('POST', '/admin/machines', { name: v.name, kind: v.kind, location: v.location, description: v.description });
        loadMachines(true);
        ok(t('machines.added', { name: v.name }));
        setTimeout(() => showSecret({ title: t('machines.key.title', { name: v.name }), intro: t('machines.key.intro', { id: r.machine }), key: r.api_key }), 0);
      },
    });
  }

  async function rotateKey(id) {
    const m = state.machines.find((x) => x.id === id);
    if (!m) return;
    const yes = await confirmDialog({
      title: t('rotate.title', { name: m.name }),
      body: [t('rotate.body'), m.connected ? t('rotate.body.connected') : null].filter(Boolean),
      okLabel: t('rotate.ok'),
      danger: true,
    });
    if (!yes) return;
    try {
      const r = await api('POST', `/admin/machines/${id}/key`);
      ok(t('rotate.done', { name: m.name }));
      loadMachines(true);
      await showSecret({ title: t('machines.key.title', { name: m.name }), intro: t('rotate.intro'), key: r.api_key });
    } catch (err) {
      fail(err);
    }
  }

  // ---- Products ----

  let productsLoaded = false;
  async function enterProducts() {
    if (!productsLoaded) $('products-rows').replaceChildren(loadingRow(6));
    try {
      await loadProducts();
      productsLoaded = true;
      renderProducts();
    } catch (err) {
      fail(err);
    }
  }

  function renderProducts() {
    if (!productsLoaded) return;
    const rows = state.products.map((p) => {
      const game = p.type === 'games';
      return h('tr', { dataset: { product: String(p.product) } },
        td(t('products.col.product'), { class: 'cell-main' }, h('div', { class: 'prod big' }, productImage(p, 'pimg lg'),
          h('div', { class: 'prod-text' },
            h('span', { class: 'prod-name' }, p.name, h('span', { class: 'muted mono small', text: ` #${p.product}` })),
            p.description ? h('span', { class: 'prod-desc', text: p.description }) : null))),
        td(t('products.col.type'), null, badge(p.type === 'foods' ? 'amber' : p.type === 'arcade' ? 'violet' : 'indigo', kindLabel(p.type))),
        td(t('products.col.price'), { class: game ? 'num na' : 'num' }, game ? h('span', { class: 'muted', text: '—' }) : h('strong', { text: money(p.price) })),
        td(t('products.col.stock'), { class: game ? 'num na' : 'num' }, game ? h('span', { class: 'muted', text: '—' }) : h('span', { class: p.stock === 0 ? 'qty out' : 'qty', text: num(p.stock) })),
        td(t('products.col.game'), { class: game ? null : 'na' }, game ? h('div', { class: 'chips' },
          (p.client_ids || []).map((id) => h('code', { class: 'chip', text: id })),
          h('span', { class: 'muted small', text: p.payout_limit ? t('products.limit', { n: money(p.payout_limit) }) : t('products.limit.default') }))
          : h('span', { class: 'muted', text: '—' })),
        td('', { class: 'actions' }, h('button', { type: 'button', class: 'btn small ghost', 'aria-label': t('products.edit.aria', { name: p.name }), onclick: () => editProduct(p) },
          icon('edit'), h('span', { class: 'btn-text', text: t('edit') }))));
    });
    $('products-rows').replaceChildren(...(rows.length ? rows : [emptyRow(6, t('products.none'), t('products.none.sub'), 'box')]));
  }

  const splitIDs = (s) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

  function productFields(p) {
    const isGame = (v) => v.type === 'games';
    return [
      { name: 'name', label: t('product.f.name'), required: true, maxlength: 80, value: p && p.name },
      p ? null : { name: 'type', label: t('product.f.type'), type: 'select', options: [['foods', kindLabel('foods')], ['arcade', kindLabel('arcade')], ['games', kindLabel('games')]], half: true },
      { name: 'price', label: t('product.f.price'), type: 'number', min: 0, required: true, value: p ? p.price : '', half: true, when: (v) => (p ? p.type !== 'games' : !isGame(v)) },
      { name: 'image', label: t('product.f.image'), maxlength: 500, value: p && p.image, hint: t('product.f.image.hint'), half: true },
      { name: 'description', label: t('product.f.description'), type: 'textarea', maxlength: 500, value: p && p.description },
      { name: 'client_ids', label: t('product.f.clients'), required: true, mono: true, value: p && (p.client_ids || []).join(', '), hint: t('product.f.clients.hint'), when: (v) => (p ? p.type === 'games' : isGame(v)) },
      { name: 'payout_limit', label: t('product.f.limit'), type: 'number', min: 0, value: p ? (p.payout_limit || '') : '', hint: t('product.f.limit.hint'), half: true, when: (v) => (p ? p.type === 'games' : isGame(v)) },
      { name: 'url', label: t('product.f.url'), type: 'url', maxlength: 500, value: p && p.url, placeholder: 'https://', half: true, when: (v) => (p ? p.type === 'games' : isGame(v)) },
    ].filter(Boolean);
  }

  function createProduct() {
    formDialog({
      title: t('products.add'),
      submitLabel: t('products.add.submit'),
      fields: productFields(null),
      onSubmit: async (v, shown) => {
        const body = { name: v.name, type: v.type, description: v.description, image: v.image };
        if (shown('price')) body.price = Number(v.price || 0);
        if (shown('client_ids')) {
          body.client_ids = splitIDs(v.client_ids);
          body.payout_limit = Number(v.payout_limit || 0);
          body.url = v.url;
        }
        await api('POST', '/admin/products', body);
        ok(t('products.added', { name: v.name }));
        await enterProducts();
      },
    });
  }

  function editProduct(p) {
    formDialog({
      title: t('products.edit', { name: p.name }),
      submitLabel: t('save'),
      note: h('p', { class: 'modal-note' }, t('products.edit.type'), ' ', badge(p.type === 'foods' ? 'amber' : p.type === 'arcade' ? 'violet' : 'indigo', kindLabel(p.type))),
      fields: productFields(p),
      onSubmit: async (v, shown) => {
        const body = {};
        if (v.name !== p.name) body.name = v.name;
        if (v.description !== (p.description || '')) body.description = v.description;
        if (v.image !== (p.image || '')) body.image = v.image;
        if (shown('price') && Number(v.price) !== p.price) body.price = Number(v.price || 0);
        if (shown('client_ids')) {
          const ids = splitIDs(v.client_ids);
          if (ids.join(' ') !== (p.client_ids || []).join(' ')) body.client_ids = ids;
          if (Number(v.payout_limit || 0) !== (p.payout_limit || 0)) body.payout_limit = Number(v.payout_limit || 0);
          if (v.url !== (p.url || '')) body.url = v.url;
        }
        if (!Object.keys(body).length) {
          toast('success', t('products.unchanged'));
          return;
        }
        await api('PATCH', `/admin/products/${p.product}`, body);
        ok(t('products.saved', { name: v.name }));
        await enterProducts();
      },
    });
  }

  // ---- Players ----

  let peopleSeq = 0;
  let peopleLoaded = false;
  async function enterPlayers() {
    if (!peopleLoaded) $('people-rows').replaceChildren(loadingRow(4));
    await searchPeople();
  }

  async function searchPeople() {
    const q = $('people-q').value.trim();
    const seq = ++peopleSeq;
    try {
      const ps = await api('GET', `/admin/people?q=${encodeURIComponent(q)}`);
      if (seq !== peopleSeq) return;
      state.people = ps;
      state.peopleQuery = q;
      peopleLoaded = true;
      renderPeople();
    } catch (err) {
      if (seq === peopleSeq) fail(err);
    }
  }

  function renderPeople() {
    if (!peopleLoaded) return;
    const ps = state.people;
    $('people-count').textContent = ps.length >= 100 ? t('players.count.max') : t(ps.length === 1 ? 'players.count.one' : 'players.count', { n: num(ps.length) });
    const rows = ps.map((p) => {
      const av = h('span', { class: 'avatar', 'aria-hidden': 'true' });
      avatar(av, p.name, p.id);
      const open = h('button', { type: 'button', class: 'btn small ghost', 'aria-label': t('players.open.aria', { name: p.name || p.email }), onclick: (e) => { e.stopPropagation(); openPerson(p); } },
        h('span', { class: 'btn-text', text: t('players.open') }));
      return h('tr', { class: 'clickable', dataset: { person: String(p.id) }, onclick: () => openPerson(p) },
        td(t('players.col.person'), { class: 'cell-main' }, h('div', { class: 'person' }, av,
          h('div', { class: 'person-text' },
            h('span', { class: 'person-name' }, p.name || t('players.noname'),
              p.id === BANK_ID ? badge('indigo tiny', t('players.bank')) : null,
              p.operator ? badge('violet tiny', t('players.operator')) : null),
            h('span', { class: 'person-mail', text: p.email || '' })))),
        td(t('players.col.balance'), { class: 'num' }, h('strong', { class: 'balance', text: money(p.balance) })),
        td(t('players.col.since'), null, timeEl(p.created_at, day(p.created_at))),
        td('', { class: 'actions' }, open));
    });
    $('people-rows').replaceChildren(...(rows.length ? rows : [emptyRow(4, t('players.none'), state.peopleQuery ? t('players.none.sub', { q: state.peopleQuery }) : '', 'users')]));
  }

  let searchTimer = null;
  function onSearchInput() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchPeople, 250);
  }

  // The drawer: one person's balance, a credit from the bank and the statement.
  let drawerOps = [];
  let drawerSeq = 0;
  let creditIdem = idemKey();

  function openPerson(p) {
    state.drawerPerson = p;
    drawerOps = [];
    const dlg = $('drawer');
    $('drawer-title').textContent = p.name || p.email;
    $('drawer-mail').textContent = p.email || '';
    avatar($('drawer-avatar'), p.name, p.id);
    $('drawer-balance').textContent = money(p.balance);
    $('credit-form').hidden = p.id === BANK_ID;
    $('credit-error').textContent = '';
    $('credit-value').value = '';
    $('credit-reason').value = '';
    creditIdem = idemKey();
    $('drawer-statement').replaceChildren(h('li', { class: 'st-loading' }, h('span', { class: 'spinner small', 'aria-hidden': 'true' }), ' ', t('loading')));
    $('drawer-more').hidden = true;
    dlg.dataset.person = String(p.id);
    openModal(dlg);
    $('drawer-close').focus();
    loadStatement(false);
  }

  async function loadStatement(more) {
    const p = state.drawerPerson;
    if (!p) return;
    const seq = ++drawerSeq;
    const before = more && drawerOps.length ? `&before=${drawerOps[drawerOps.length - 1].operation}` : '';
    try {
      const ops = await api('GET', `/admin/people/${p.id}/statement?limit=${STATEMENT_PAGE}${before}`);
      if (seq !== drawerSeq) return;
      drawerOps = more ? drawerOps.concat(ops) : ops;
      renderStatement(ops.length === STATEMENT_PAGE);
    } catch (err) {
      if (seq === drawerSeq) fail(err);
    }
  }

  // What one statement line means for the person whose statement it is.
  function describe(o, pid) {
    const incoming = o.to_id === pid;
    switch (o.kind) {
      case 'issue': return { title: t('st.issue'), sign: 1 };
      case 'credit':
        if (!incoming) return { title: o.product ? t('st.prizeTo', { product: o.product, to: o.to }) : t('st.creditTo', { to: o.to }), sign: -1 };
        return { title: o.product ? t('st.prize', { product: o.product }) : t('st.creditBank'), sign: 1 };
      case 'transfer':
        return incoming ? { title: t('st.transferIn', { from: o.from }), sign: 1 } : { title: t('st.transferOut', { to: o.to }), sign: -1 };
      case 'debit':
        return incoming ? { title: t('st.sale', { product: o.product || '?', from: o.from }), sign: 1 } : { title: t('st.purchase', { product: o.product || '?' }), sign: -1 };
      default:
        return { title: o.kind, sign: incoming ? 1 : -1 };
    }
  }

  function renderStatement(hasMore) {
    const pid = state.drawerPerson.id;
    const items = drawerOps.map((o) => {
      const d = describe(o, pid);
      const counted = o.status === 'completed';
      return h('li', { class: `st-item ${d.sign > 0 ? 'in' : 'out'}`, dataset: { op: String(o.operation), status: o.status } },
        h('span', { class: 'st-icon', 'aria-hidden': 'true', text: d.sign > 0 ? '+' : '−' }),
        h('div', { class: 'st-main' },
          h('span', { class: 'st-title', text: d.title }),
          h('span', { class: 'st-meta' }, h('span', { class: 'mono', text: `#${o.operation}` }), ' · ', timeEl(o.timestamp), ' ', statusBadge(o.status)),
          o.reason ? h('span', { class: 'st-reason', text: reasonText(o.reason) }) : null),
        h('span', { class: `st-value${counted ? '' : ' muted-value'}`, text: `${d.sign > 0 ? '+' : '−'}${num(o.value)}` }));
    });
    $('drawer-statement').replaceChildren(...(items.length ? items : [h('li', { class: 'st-empty', text: t('statement.none') })]));
    $('drawer-more').hidden = !hasMore;
  }

  async function refreshDrawerPerson() {
    const p = state.drawerPerson;
    if (!p) return;
    try {
      const ps = await api('GET', `/admin/people?q=${encodeURIComponent(p.email || p.name || '')}`);
      const fresh = ps.find((x) => x.id === p.id);
      if (fresh && state.drawerPerson && state.drawerPerson.id === p.id) {
        state.drawerPerson = fresh;
        $('drawer-balance').textContent = money(fresh.balance);
      }
    } catch { /* the statement still updates */ }
    loadStatement(false);
    if (state.view === 'players') searchPeople();
  }

  async function submitCredit(ev) {
    ev.preventDefault();
    const p = state.drawerPerson;
    const v = $('credit-value').value.trim();
    const reason = $('credit-reason').value.trim();
    const err = $('credit-error');
    err.textContent = '';
    for (const id of ['credit-value', 'credit-reason']) $(id).removeAttribute('aria-invalid');
    if (!/^\d+$/.test(v) || Number(v) < 1) {
      err.textContent = t('err.positive', { field: t('credit.value') });
      $('credit-value').setAttribute('aria-invalid', 'true');
      $('credit-value').focus();
      return;
    }
    if (!reason) {
      err.textContent = t('err.required', { field: t('credit.reason') });
      $('credit-reason').setAttribute('aria-invalid', 'true');
      $('credit-reason').focus();
      return;
    }
    const btn = $('credit-submit');
    btn.disabled = true;
    try {
      await api('POST', '/admin/credit', { to: p.id, value: Number(v), reason }, { 'Idempotency-Key': creditIdem });
      creditIdem = idemKey();
      ok(t('credit.done', { value: money(Number(v)), name: p.name || p.email }));
      $('credit-value').value = '';
      $('credit-reason').value = '';
      refreshDrawerPerson();
    } catch (e) {
      err.textContent = errText(e);
      if (e.status && e.status !== 422) creditIdem = idemKey();
    } finally {
      btn.disabled = false;
    }
  }

  // ---- Bank ----

  async function enterBank() {
    const rows = $('bank-rows');
    if (!rows.children.length) rows.replaceChildren(loadingRow(4));
    try {
      const [b, ops] = await Promise.all([api('GET', '/admin/bank'), api('GET', `/admin/people/${BANK_ID}/statement?limit=25`)]);
      $('bank-balance').textContent = num(b.balance);
      $('bank-held').textContent = num(b.held);
      $('bank-issued').textContent = num(b.issued);
      $('bank-circulating').textContent = num(Math.max(0, b.issued - b.balance - b.held));
      const trs = ops.map((o) => {
        const d = describe(o, BANK_ID);
        return h('tr', { dataset: { op: String(o.operation) } },
          td(t('col.when'), { class: 'desk-only' }, timeEl(o.timestamp)),
          td(t('col.what'), { class: 'cell-main' }, h('span', { class: 'op-title', text: d.title }), h('span', { class: 'muted mono small', text: ` #${o.operation}` }),
            o.reason ? h('span', { class: 'op-reason', text: reasonText(o.reason) }) : null,
            h('span', { class: 'stack-only row-meta' }, timeEl(o.timestamp))),
          td(t('col.status'), null, statusBadge(o.status)),
          td(t('col.value'), { class: 'num' }, h('strong', { class: d.sign > 0 ? 'pos' : 'neg', text: `${d.sign > 0 ? '+' : '−'}${num(o.value)}` })));
      });
      rows.replaceChildren(...(trs.length ? trs : [emptyRow(4, t('bank.none'), '', 'bank')]));
    } catch (err) {
      fail(err);
    }
  }

  function issueMoney() {
    const key = idemKey();
    formDialog({
      title: t('bank.issue'),
      submitLabel: t('bank.issue.submit'),
      note: t('bank.issue.note'),
      fields: [
        { name: 'value', label: t('credit.value'), type: 'number', min: 1, required: true },
        { name: 'reason', label: t('credit.reason'), required: true, maxlength: 200, placeholder: t('bank.issue.reason.ph') },
      ],
      onSubmit: async (v) => {
        if (Number(v.value) < 1) throw new Error(t('err.positive', { field: t('credit.value') }));
        await api('POST', '/admin/issue', { value: Number(v.value), reason: v.reason }, { 'Idempotency-Key': key });
        ok(t('bank.issued.done', { value: money(Number(v.value)) }));
        enterBank();
      },
    });
  }

  // ---- Operations ----

  let opsList = [];
  let opsKey = '';
  let opsLoaded = false;

  async function refreshUnknown() {
    try {
      const ops = await api('GET', '/admin/operations?status=unknown');
      const key = JSON.stringify(ops);
      state.unknown = ops;
      if (key !== state.unknownJSON) {
        state.unknownJSON = key;
        renderUnknownCount();
        if (state.view === 'operations' && state.opsStatus === 'unknown') {
          opsList = ops;
          opsLoaded = true;
          renderOperations(false);
        }
      }
    } catch { /* shown by the views themselves */ }
  }

  function renderUnknownCount() {
    const n = state.unknown.length;
    for (const id of ['nav-unknown', 'seg-unknown']) {
      const el = $(id);
      el.hidden = n === 0;
      el.textContent = num(n);
      el.setAttribute('aria-label', t('ops.count.aria', { n }));
    }
  }

  async function enterOperations() {
    for (const b of $$('.seg')) b.setAttribute('aria-pressed', String(b.dataset.status === state.opsStatus));
    if (!opsLoaded) $('ops-rows').replaceChildren(loadingRow(8));
    await loadOperations();
  }

  async function loadOperations() {
    const status = state.opsStatus;
    try {
      const ops = await api('GET', `/admin/operations?status=${status}`);
      if (status !== state.opsStatus) return;
      opsList = ops;
      opsLoaded = true;
      if (status === 'unknown') {
        state.unknown = ops;
        state.unknownJSON = JSON.stringify(ops);
        renderUnknownCount();
      }
      renderOperations(true);
    } catch (err) {
      fail(err);
    }
  }

  // Where a debit was made: "slot 2", or an arcade's number ("arcade 2"); '' when not at a machine.
  const placeOf = (m) => (m ? t(m.kind === 'arcade' ? 'ops.place.arcade' : 'ops.place.slot', { n: m.slot }) : '');

  // The machine cell: its name, then the slot (or arcade number), so that the operator knows where to look.
  function machineCell(o) {
    const m = o.machine;
    if (!m) return td(t('col.machine'), null, h('span', { class: 'muted', text: '—' }));
    return td(t('col.machine'), { class: 'op-machine-cell' }, h('span', { class: 'op-machine', dataset: { machine: String(m.id), slot: String(m.slot) } },
      h('strong', { class: 'op-machine-name', text: m.name }), ' ', h('span', { class: 'op-place', text: placeOf(m) })));
  }

  function renderOperations(force) {
    if (!opsLoaded) return;
    const key = JSON.stringify(opsList) + state.opsStatus + lang;
    if (!force && key === opsKey) return;
    opsKey = key;
    const unknown = state.opsStatus === 'unknown';
    const rows = opsList.map((o) => {
      const who = o.kind === 'debit' || o.kind === 'transfer' ? o.from : o.to;
      return h('tr', { dataset: { op: String(o.operation), status: o.status } },
        td(t('col.op'), null, h('span', null, h('span', { class: 'mono strong', text: `#${o.operation}` }), ' ', h('span', { class: 'muted small', text: t(`opkind.${o.kind}`) }))),
        td(t('col.when'), null, timeEl(o.timestamp)),
        td(t('col.who'), { class: 'cell-main' }, h('strong', { text: who || '—' })),
        td(t('col.product'), { class: 'op-product-cell' }, o.product || h('span', { class: 'muted', text: '—' })),
        machineCell(o),
        td(t('col.value'), { class: 'num' }, h('strong', { text: money(o.value) })),
        td(t('col.status'), { class: 'op-status-cell' }, statusBadge(o.status), o.reason && !unknown ? h('span', { class: 'op-reason', text: reasonText(o.reason) }) : null),
        td('', { class: 'actions' }, unknown ? h('div', { class: 'btn-pair' },
          h('button', { type: 'button', class: 'btn small primary', 'aria-label': t('ops.complete.aria', { id: o.operation }), title: t('ops.complete'), onclick: () => settle(o, 'complete') }, icon('check'), h('span', { class: 'btn-text', text: t('ops.complete') })),
          h('button', { type: 'button', class: 'btn small', 'aria-label': t('ops.refund.aria', { id: o.operation }), title: t('ops.refund'), onclick: () => settle(o, 'refund') }, icon('refresh'), h('span', { class: 'btn-text', text: t('ops.refund') })))
          : null));
    });
    const empty = unknown ? emptyRow(8, t('ops.none.unknown'), t('ops.none.unknown.sub'), 'check') : emptyRow(8, t('ops.none'), '', 'list');
    $('ops-rows').replaceChildren(...(rows.length ? rows : [empty]));
    $('ops-table').classList.toggle('with-actions', unknown);
  }

  // settleLook tells the operator which machine and slot to go and check, the name and place in bold.
  function settleLook(m) {
    if (!m) return h('p', { class: 'settle-look', text: t('settle.look.none') });
    return h('p', { class: 'settle-look' },
      ...tNodes('settle.look', { machine: h('strong', { text: m.name }), place: h('strong', { text: placeOf(m) }) }));
  }

  async function settle(o, outcome) {
    const complete = outcome === 'complete';
    const vars = { id: o.operation, who: o.from || '?', product: o.product || '?', value: money(o.value) };
    const yes = await confirmDialog({
      title: t(complete ? 'settle.complete.title' : 'settle.refund.title', vars),
      body: [settleLook(o.machine), t(complete ? 'settle.complete.body' : 'settle.refund.body', vars), t('settle.final')],
      okLabel: t(complete ? 'ops.complete' : 'ops.refund'),
      danger: !complete,
    });
    if (!yes) return;
    try {
      await api('POST', `/admin/operations/${o.operation}/settle`, { outcome });
      ok(t(complete ? 'settle.completed' : 'settle.refunded', vars));
    } catch (err) {
      fail(err);
    }
    await loadOperations();
    const first = $('ops-rows').querySelector('button') || $('h-operations');
    first.focus();
  }

  // ---- API keys ----

  let keysLoaded = false;
  async function enterKeys() {
    if (!keysLoaded) $('keys-rows').replaceChildren(loadingRow(6));
    try {
      state.keys = await api('GET', '/admin/apikeys');
      keysLoaded = true;
      renderKeys();
    } catch (err) {
      fail(err);
    }
  }

  function renderKeys() {
    if (!keysLoaded) return;
    const showRevoked = $('keys-revoked').checked;
    const showMachines = $('keys-machines').checked;
    const keys = state.keys.slice().sort((a, b) => b.id - a.id)
      .filter((k) => (showRevoked || !k.revoked_at) && (showMachines || k.role !== 'machine'));
    const rows = keys.map((k) => {
      const revoked = !!k.revoked_at;
      return h('tr', { class: revoked ? 'revoked' : null, dataset: { key: String(k.id), user: k.user } },
        td(t('keys.col.key'), { class: 'cell-main' }, h('code', { class: 'key-prefix', text: `${k.prefix}…` }), h('span', { class: 'muted mono small', text: ` #${k.id}` })),
        td(t('keys.col.user'), null, h('strong', { text: k.user })),
        td(t('keys.col.role'), null, badge(k.role === 'operator' ? 'violet' : k.role === 'machine' ? 'gray' : 'indigo', t(`role.${k.role}`))),
        td(t('keys.col.created'), null, timeEl(k.created_at)),
        td(t('col.status'), null, revoked ? h('span', { class: 'badge gray', title: fullWhen(k.revoked_at) }, t('keys.revokedAt', { when: when(k.revoked_at) }))
          : badge('green', t('keys.active'))),
        td('', { class: 'actions' }, revoked ? null : h('button', {
          type: 'button', class: 'btn small danger-ghost', 'aria-label': t('keys.revoke.aria', { prefix: k.prefix, user: k.user }), onclick: () => revokeKey(k),
        }, h('span', { class: 'btn-text', text: t('keys.revoke') }))));
    });
    $('keys-rows').replaceChildren(...(rows.length ? rows : [emptyRow(6, t('keys.none'), '', 'key')]));
  }

  function createKey() {
    formDialog({
      title: t('keys.add'),
      submitLabel: t('keys.add.submit'),
      fields: [
        { name: 'user', label: t('keys.f.user'), required: true, maxlength: 64, mono: true, hint: t('keys.f.user.hint'), placeholder: 'ticker-telao' },
        { name: 'role', label: t('keys.f.role'), type: 'select', options: [['user', t('role.user')], ['operator', t('role.operator')]], hint: t('keys.f.role.hint') },
      ],
      onSubmit: async (v) => {
        const k = await api('POST', '/admin/apikeys', { user: v.user, role: v.role });
        ok(t('keys.added', { user: k.user }));
        enterKeys();
        setTimeout(() => showSecret({ title: t('keys.secret.title', { user: k.user }), intro: t('keys.secret.intro', { prefix: k.prefix }), key: k.api_key }), 0);
      },
    });
  }

  async function revokeKey(k) {
    const yes = await confirmDialog({
      title: t('keys.revoke.title', { prefix: k.prefix, user: k.user }),
      body: [t('keys.revoke.body'), k.role === 'machine' ? t('keys.revoke.machine') : null].filter(Boolean),
      okLabel: t('keys.revoke'),
      danger: true,
    });
    if (!yes) return;
    try {
      await api('DELETE', `/admin/apikeys/${k.id}`);
      ok(t('keys.revoked', { prefix: k.prefix, user: k.user }));
    } catch (err) {
      fail(err);
    }
    await enterKeys();
    $('key-add').focus();
  }

  // ---- Audit ----

  let auditNames = new Map();
  async function enterAudit() {
    const rows = $('audit-rows');
    if (!rows.children.length) rows.replaceChildren(loadingRow(4));
    try {
      const [entries, people, ms, ps] = await Promise.all([
        api('GET', '/admin/audit'),
        api('GET', '/admin/people?q=').catch(() => []),
        state.machines.length ? Promise.resolve(state.machines) : api('GET', '/admin/machines').catch(() => []),
        state.products.length ? Promise.resolve(state.products) : loadProducts().catch(() => []),
      ]);
      auditNames = new Map(people.slice(0, AUDIT_NAMES).map((p) => [p.id, p.name || p.email]));
      const machines = new Map(ms.map((m) => [m.id, m.name]));
      const products = new Map(ps.map((p) => [p.product, p.name]));
      const trs = entries.map((e) => {
        let d = {};
        try { d = JSON.parse(e.detail || '{}'); } catch { d = {}; }
        if (d.name && (d.product || d.machine)) delete d.name;
        const order = ['operation', 'machine', 'slot', 'product', 'quantity', 'to', 'person', 'value', 'status', 'kind', 'type', 'price'];
        const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
        const chips = Object.entries(d).sort((a, b) => rank(a[0]) - rank(b[0])).map(([k, v]) => {
          let shown = Array.isArray(v) ? v.join(', ') : String(v);
          if (k === 'machine' && machines.has(v)) shown = `${machines.get(v)} (#${v})`;
          else if (k === 'product' && products.has(v)) shown = `${products.get(v)} (#${v})`;
          else if ((k === 'to' || k === 'person') && auditNames.has(v)) shown = `${auditNames.get(v)} (#${v})`;
          else if (k === 'operation') shown = `#${v}`;
          else if (k === 'status') shown = t(`status.${v}`);
          else if (k === 'kind' && (v === 'vending' || v === 'arcade')) shown = t(`kind.${v}`);
          else if (k === 'type') shown = kindLabel(v);
          else if (k === 'role') shown = t(`role.${v}`);
          else if (k === 'key') shown = `#${v}`;
          else if (k === 'reason') shown = reasonText(v);
          return h('span', { class: 'kv' }, h('span', { class: 'k', text: t(`audit.k.${k}`) === `audit.k.${k}` ? k : t(`audit.k.${k}`) }), h('span', { class: 'v', text: shown }));
        });
        const actor = e.actor ? (auditNames.get(e.actor) || `#${e.actor}`) : t('audit.system');
        const label = t(`audit.a.${e.action}`);
        return h('tr', null,
          td(t('col.when'), { class: 'desk-only' }, timeEl(e.created_at)),
          td(t('audit.col.actor'), { class: 'desk-only' }, e.actor ? h('strong', { text: actor }) : h('span', { class: 'muted', text: actor })),
          td(t('audit.col.action'), { class: 'cell-main' }, h('span', { class: 'action', dataset: { action: e.action }, text: label === `audit.a.${e.action}` ? e.action : label }),
            h('span', { class: 'stack-only row-meta' }, timeEl(e.created_at), ' · ', actor)),
          td(t('audit.col.detail'), { class: 'full' }, h('div', { class: 'kvs' }, chips)));
      });
      rows.replaceChildren(...(trs.length ? trs : [emptyRow(4, t('audit.none'), '', 'list')]));
    } catch (err) {
      fail(err);
    }
  }

  // ---- wiring ----

  function wireStatic() {
    $('demo-form').addEventListener('submit', demoLogin);
    $('signin-notop-out').addEventListener('click', async () => {
      try { await api('POST', '/auth/logout'); } catch { /* ignore */ }
      showSignin(null);
    });
    $('signout').addEventListener('click', signOut);
    window.addEventListener('hashchange', () => route(true));
    $('machine-add').addEventListener('click', addMachine);
    $('product-add').addEventListener('click', createProduct);
    $('people-q').addEventListener('input', onSearchInput);
    $('people-q').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        clearTimeout(searchTimer);
        searchPeople();
      }
    });
    $('bank-issue').addEventListener('click', issueMoney);
    for (const b of $$('.seg')) {
      b.addEventListener('click', () => {
        state.opsStatus = b.dataset.status;
        opsLoaded = false;
        enterOperations();
      });
    }
    $('key-add').addEventListener('click', createKey);
    $('keys-revoked').checked = true;
    $('keys-revoked').addEventListener('change', renderKeys);
    $('keys-machines').addEventListener('change', renderKeys);
    $('audit-refresh').addEventListener('click', enterAudit);

    // the form dialog
    $('dlg-form-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (formSubmit) formSubmit();
    });
    for (const b of $$('#dlg-form [data-close]')) b.addEventListener('click', () => $('dlg-form').close());

    // the secret dialog
    $('dlg-secret-copy').addEventListener('click', async () => {
      const done = await copyText($('dlg-secret-key').value);
      if (done) {
        $('dlg-secret-copy').classList.add('copied');
        $('dlg-secret-copy').querySelector('span').textContent = t('copied');
        ok(t('copied.toast'));
      } else {
        fail(t('copy.failed'));
      }
    });
    // The key leaves the page with its dialog, however it closes.
    const forgetSecret = () => { $('dlg-secret-key').value = ''; };
    $('dlg-secret-done').addEventListener('click', () => {
      forgetSecret();
      $('dlg-secret').close();
    });
    $('dlg-secret').addEventListener('cancel', forgetSecret);
    $('dlg-secret').addEventListener('close', () => {
      $('dlg-secret-copy').querySelector('span').textContent = t('copy');
    });

    // the drawer
    $('drawer-close').addEventListener('click', () => $('drawer').close());
    $('drawer').addEventListener('click', (e) => {
      if (e.target === $('drawer')) $('drawer').close(); // a click on the backdrop
    });
    $('drawer').addEventListener('close', () => {
      state.drawerPerson = null;
      const row = $('people-rows').querySelector(`tr[data-person="${$('drawer').dataset.person}"] button`);
      if (row) row.focus();
    });
    $('drawer-more').addEventListener('click', () => loadStatement(true));
    $('credit-form').addEventListener('submit', submitCredit);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
