// amq2api admin dashboard: plain JavaScript, no dependencies, no build step. It is an external
// file because the page's Content-Security-Policy forbids inline script. Every value that
// comes from the API or the user reaches the page through textContent or element properties,
// never as markup.
'use strict';

(() => {
  const KEY_STORAGE = 'amq2api.adminKey';  // sessionStorage only: gone when the tab closes
  const THEME_STORAGE = 'amq2api.theme';  // localStorage: display choices, never a secret
  const LANGUAGE_STORAGE = 'amq2api.language';
  const TABS = ['overview', 'accounts', 'keys', 'stats', 'requests', 'audit'];
  const $ = (id) => document.getElementById(id);
  const L = window.amqDashboard;  // dashboard-lib.js: what the page computes

  // ---- DOM helpers ----------------------------------------------------------------------

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }

  // el('td', {class: 'num', text: 5}); props are element properties, "on..." are listeners.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = String(value);
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name.startsWith('aria-')) node.setAttribute(name, String(value));
      else node[name] = value;
    }
    children.forEach((c) => append(node, c));
    return node;
  }

  // `name`: what a screen reader says, when the label alone is not enough ("Delete" which?).
  function button(label, onclick, kind, name) {
    return el('button', {
      type: 'button', class: `small ${kind || 'secondary'}`, text: label, onclick,
      'aria-label': name,
    });
  }

  function badge(text, kind) {
    return el('span', {class: `badge ${kind || ''}`, text});
  }

  function yesNo(value) {
    return value ? badge(t('yes'), 'ok') : badge(t('no'));
  }

  // A health state's badge ("half-open"), coloured by how much it keeps the account out.
  function stateBadge(state) {
    return badge(STATE_LABEL[state] ? t(STATE_LABEL[state]) : state, STATE_KIND[state] || '');
  }

  function fmtNum(n) {
    return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString(language) : '—';
  }

  // A limit of 0 is no cap at all.
  function fmtLimit(n) {
    return n === 0 ? t('no cap') : fmtNum(n);
  }

  function fmtTime(iso, none) {
    if (!iso) return none || '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(language, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    });
  }

  function fmtDay(iso) {
    return iso ? String(iso).slice(0, 10) : '—';
  }

  // A table's rows; each cell is named by its column (data-label), which a narrow screen shows
  // beside it when the table becomes a card per row.
  function fillBody(body, rows) {
    body.replaceChildren(...rows);
    const table = body.closest('table');
    const names = [...table.tHead.rows[0].cells].map((th) => L.normalText(th.textContent));
    for (const row of body.rows) {
      [...row.cells].forEach((cell, i) => {
        if (cell.colSpan === 1 && names[i]) cell.dataset.label = names[i];
      });
    }
  }

  function emptyRow(columns, text) {
    return el('tr', null, el('td', {colSpan: columns, class: 'muted empty', text}));
  }

  // A whole number from an <input type="number">, or undefined when it is left empty.
  function wholeNumber(input, what) {
    const text = input.value.trim();
    if (text === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n)) throw new Error(t('{what} must be a whole number', {what}));
    return n;
  }

  // ---- language -------------------------------------------------------------------------

  // Texts are written in English and looked up in the chosen language's dictionary, keyed
  // by the English text (dashboard-zh-CN.js). N_ marks a text translated later, when shown.
  const DICTIONARIES = {en: null, 'zh-CN': window.amqDashboardZhCN};
  const N_ = (text) => text;
  let language = 'en';
  let t = L.translator(null);

  // The page's own texts (text nodes and labelling attributes) as written in English, so a
  // switch back and forth always starts from the original.
  const TEXT_ATTRIBUTES = ['aria-label', 'placeholder', 'title'];
  const UNTRANSLATED = 'script, style, code, [translate="no"]';  // code, addresses, names
  const pageTexts = [];

  function collectPageTexts() {
    const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = L.normalText(node.nodeValue);
      if (/[A-Za-z]/.test(text) && !node.parentElement.closest(UNTRANSLATED)) {
        pageTexts.push({node, english: text, spaced: node.nodeValue});
      }
    }
    for (const attribute of TEXT_ATTRIBUTES) {
      for (const element of document.querySelectorAll(`[${attribute}]`)) {
        if (element.closest('[translate="no"]')) continue;
        pageTexts.push({element, attribute, english: element.getAttribute(attribute)});
      }
    }
  }

  function translatePage() {
    for (const entry of pageTexts) {
      const text = t(entry.english);
      if (entry.attribute) {
        entry.element.setAttribute(entry.attribute, text);
      } else {
        // The markup's spaces around the text stay: they separate it from its neighbours.
        const [, before, , after] = entry.spaced.match(/^(\s*)([\s\S]*?)(\s*)$/);
        entry.node.nodeValue = before + text + after;
      }
    }
  }

  function applyLanguage() {
    language = L.pickLanguage(localStorage.getItem(LANGUAGE_STORAGE), navigator.languages);
    t = L.translator(DICTIONARIES[language]);
    document.documentElement.lang = language;
    $('language').value = language;
    translatePage();
    applyTheme();
  }

  // A choice from the switch is kept; the browser's own language is followed otherwise.
  function chooseLanguage() {
    localStorage.setItem(LANGUAGE_STORAGE, $('language').value);
    applyLanguage();
    const tab = shownTab();
    if (tab && !$('app').hidden) guarded(null, loaders[tab]);
    if (charts.series) drawCharts();
  }

  // ---- colour theme ---------------------------------------------------------------------

  // auto follows the system's prefers-color-scheme, also when it changes; dark and light
  // are the user's choice, kept for the next visit.
  const THEMES = ['auto', 'dark', 'light'];
  const THEME_LABEL = {auto: N_('auto'), dark: N_('dark'), light: N_('light')};
  const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

  function themeChoice() {
    const stored = localStorage.getItem(THEME_STORAGE);
    return THEMES.includes(stored) ? stored : 'auto';
  }

  function applyTheme() {
    const choice = themeChoice();
    const dark = choice === 'dark' || (choice === 'auto' && darkQuery.matches);
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    if (charts.series) drawCharts();
    const label = t(THEME_LABEL[choice]);
    $('theme-toggle').textContent = t('Theme: {choice}', {choice: label});
    $('theme-toggle').setAttribute('aria-label', choice === 'auto'
      ? t('Colour theme: auto (now {mode}). Change it', {mode: t(dark ? 'dark' : 'light')})
      : t('Colour theme: {choice}. Change it', {choice: label}));
  }

  function cycleTheme() {
    const next = THEMES[(THEMES.indexOf(themeChoice()) + 1) % THEMES.length];
    if (next === 'auto') localStorage.removeItem(THEME_STORAGE);
    else localStorage.setItem(THEME_STORAGE, next);
    applyTheme();
  }

  // ---- messages -------------------------------------------------------------------------

  let messageTimer = null;

  function showMessage(text, kind) {
    $('message-text').textContent = text;
    $('message').className = `notice ${kind || ''}`;
    $('message').hidden = false;
    clearTimeout(messageTimer);
    // Successes fade on their own; errors stay until read and dismissed.
    if (kind === 'success') messageTimer = setTimeout(hideMessage, 8000);
  }

  function hideMessage() {
    clearTimeout(messageTimer);
    $('message').hidden = true;
    $('message-text').textContent = '';
  }

  // ---- form errors ----------------------------------------------------------------------

  // A form's error goes where the form is, is announced (role="alert") and takes the focus:
  // a failed submit never looks like nothing happened.
  function showFormError(id, text) {
    const box = $(id);
    box.textContent = text;
    box.hidden = !text;
    if (!text) return;
    box.scrollIntoView({block: 'nearest'});
    box.focus();
  }

  // Runs a form's submit: its button is disabled meanwhile; a refusal shows in its error box.
  async function submitForm(submit, errorId, action) {
    showFormError(errorId, '');
    submit.disabled = true;
    try {
      return await action();
    } catch (e) {
      if (!(e instanceof ApiError && e.keyRefused)) showFormError(errorId, e.message);
      return undefined;
    } finally {
      submit.disabled = false;
    }
  }

  function modelList(text) {
    return text.split(',').map((m) => m.trim()).filter((m) => m);
  }

  // ---- session and API calls ------------------------------------------------------------

  const session = {
    get: () => sessionStorage.getItem(KEY_STORAGE),
    set: (key) => sessionStorage.setItem(KEY_STORAGE, key),
    clear: () => sessionStorage.removeItem(KEY_STORAGE),
  };

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }

    // The key itself stopped working (removed, disabled, expired, no longer admin). A 403 can
    // also be an account's refresh token refused upstream, which says nothing about the key.
    get keyRefused() {
      return this.status === 401 ||
        (this.status === 403 && /not an admin key/.test(this.message));
    }
  }

  function errorDetail(data, status) {
    if (data && typeof data.detail === 'string') return data.detail;
    if (data && data.detail !== undefined) return JSON.stringify(data.detail);
    if (data && data.error && typeof data.error.message === 'string') return data.error.message;
    return t('the daemon answered HTTP {status}', {status});
  }

  // Changes sent (any call but a GET): a live refresh that read before one drew stale data.
  let writes = 0;

  // One admin API call; resolves to the parsed answer, rejects with the daemon's "detail".
  async function api(method, path, body) {
    const key = session.get();
    if (!key) throw new ApiError(401, t('not signed in'));
    const headers = {Authorization: `Bearer ${key}`, Accept: 'application/json'};
    let payload;
    if (body instanceof FormData) {
      payload = body;  // the browser sets multipart/form-data with its boundary
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: payload, credentials: 'omit', cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, t('cannot reach the daemon: {why}', {why: e.message}));
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (method !== 'GET') writes += 1;
    if (!response.ok) {
      const error = new ApiError(response.status, errorDetail(data, response.status));
      if (error.keyRefused) signOut(error.message);  // back to the sign-in, saying why
      throw error;
    }
    return data;
  }

  // Runs an action behind a button: the button is disabled meanwhile, errors are shown.
  async function guarded(control, action) {
    if (control) control.disabled = true;
    try {
      return await action();
    } catch (e) {
      if (!(e instanceof ApiError && e.keyRefused)) showMessage(e.message, 'error');
      return undefined;
    } finally {
      if (control) control.disabled = false;
    }
  }

  // ---- sign-in --------------------------------------------------------------------------

  function showApp() {
    $('login').hidden = true;
    $('login-error').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    $('live-label').hidden = false;
    $('session-info').hidden = false;
    hideMessage();
    const wanted = location.hash.slice(1);
    selectTab(TABS.includes(wanted) ? wanted : 'overview');
  }

  function signOut(reason) {
    session.clear();
    hideSecret();
    endOnboarding();
    hideMessage();
    for (const id of ['accounts-body', 'keys-body', 'audit-body', 'stats-daily', 'stats-accounts',
      'stats-totals', 'stats-summary', 'upload-result', 'log-body', 'overview-today',
      'overview-states', 'overview-now', 'overview-quota']) {
      $(id).replaceChildren();
    }
    $('app').hidden = true;
    $('logout').hidden = true;
    $('live-label').hidden = true;
    $('session-info').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = reason || '';
    $('login-error').hidden = !reason;
    $('login-key').focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $('login-key');
    const key = input.value.trim();
    if (!key) return;
    session.set(key);
    $('login-submit').disabled = true;
    try {
      await api('GET', '/admin/stats/api-keys');  // proves the key is an enabled admin key
      input.value = '';
      showApp();
    } catch (e) {
      signOut(e.message);
    } finally {
      $('login-submit').disabled = false;
    }
  }

  // ---- tabs -----------------------------------------------------------------------------

  const loaders = {
    overview: loadOverview, accounts: loadAccounts, keys: loadKeys, stats: loadStats,
    requests: loadRequests, audit: loadAudit,
  };

  function selectTab(name) {
    for (const tab of document.querySelectorAll('[data-tab]')) {
      tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
      tab.tabIndex = tab.dataset.tab === name ? 0 : -1;  // Tab enters the list at the chosen one
    }
    for (const tabName of TABS) $(`tab-${tabName}`).hidden = tabName !== name;
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    hideMessage();  // it was about the tab being left
    guarded(null, loaders[name]);
  }

  // The tab list's keys (WAI-ARIA tabs): arrows to the next or previous tab, around the ends,
  // Home and End to the first and last; the tab moved to is shown.
  function onTabKey(event) {
    const current = TABS.indexOf(event.target.dataset.tab);
    const moves = {
      ArrowRight: current + 1, ArrowLeft: current - 1 + TABS.length, Home: 0,
      End: TABS.length - 1,
    };
    if (current < 0 || !(event.key in moves)) return;
    event.preventDefault();
    const next = TABS[moves[event.key] % TABS.length];
    selectTab(next);
    document.querySelector(`[data-tab=${next}]`).focus();
  }

  // ---- overview -------------------------------------------------------------------------

  function compareCard(label, today, yesterday, format) {
    const show = format || fmtNum;
    return el('div', {class: 'stat'},
      el('div', {class: 'value', text: show(today)}),
      el('div', {class: 'label', text: label}),
      el('div', {class: 'compare', text: t('yesterday {n}', {n: show(yesterday)})}));
  }

  function quotaItem(account) {
    const q = account.quota;
    const item = el('li', null, el('span', {class: 'name', text: account.name}));
    if (!q) {
      append(item, el('span', {class: 'muted', text: t('not checked yet')}));
      return item;
    }
    const used = {used: fmtNum(q.used), limit: fmtNum(q.limit), day: fmtDay(q.next_reset)};
    const label = q.next_reset ? t('{used} of {limit} used, resets {day}', used)
      : t('{used} of {limit} used', used);
    append(item, [el('meter', {
      min: 0, max: Math.max(q.limit, 1), value: q.used, low: q.limit * 0.75,
      high: q.limit * 0.9, optimum: 0,
      'aria-label': t('Quota of account “{name}”', {name: account.name}),
      title: label,
    }), el('span', {text: label})]);
    return item;
  }

  async function loadOverview() {
    const [days, accounts, status] = await Promise.all([
      api('GET', '/admin/stats?days=2&by=day'), api('GET', '/admin/accounts'),
      api('GET', '/admin/status'),
    ]);
    const period = days.period || {};
    const rows = days.rows || [];
    const today = L.dayTotals(rows, String(period.to || '').slice(0, 10));
    const yesterday = L.dayTotals(rows, String(period.from || '').slice(0, 10));
    const rate = (t) => L.errorRate(t.errors, t.requests);
    $('overview-today').replaceChildren(
      compareCard(t('Requests'), today.requests, yesterday.requests),
      compareCard(t('Errors'), today.errors, yesterday.errors),
      compareCard(t('Error rate'), rate(today), rate(yesterday), fmtRate),
      compareCard(t('Tokens'), today.tokens, yesterday.tokens),
      compareCard(t('Credits'), today.credits, yesterday.credits));
    const list = Array.isArray(accounts) ? accounts : [];
    const counts = new Map(L.countStates(list));
    $('overview-states').replaceChildren(...(list.length
      ? [...counts].map(([state, n]) => el('li', null, stateBadge(state),
        el('span', {class: 'count', text: fmtNum(n)})))
      : [el('li', {class: 'muted', text: t('No accounts yet.')})]));
    const queue = status.queue || {};
    const inflight = (status.workers || []).reduce((n, w) => n + (w.inflight || 0), 0);
    const facts = [
      [N_('Requests in flight'), fmtNum(inflight)],
      [N_('Waiting for an account'), t('{n} of at most {max}',
        {n: fmtNum(queue.depth), max: fmtNum(queue.max)})],
      [N_('Refused after waiting'), t('{timeouts} timed out, {full} with the queue full (since start)',
        {timeouts: fmtNum(queue.timeouts), full: fmtNum(queue.full)})],
      [N_('Accounts cooling down'), fmtNum(counts.get('cooling') || 0)],
      [N_('Workers'), fmtNum((status.workers || []).length)],
    ];
    $('overview-now').replaceChildren(...facts.flatMap(([term, value]) =>
      [el('dt', {text: t(term)}), el('dd', {text: value})]));
    $('overview-quota').replaceChildren(...(list.length
      ? list.map(quotaItem) : [el('li', {class: 'muted', text: t('No accounts yet.')})]));
    $('overview-updated').textContent =
      t('updated {time}', {time: new Date().toLocaleTimeString(language)});
  }

  // Asks the upstream for every enabled account's quota, one after another, then shows them.
  async function checkQuotas() {
    const accounts = await api('GET', '/admin/accounts');
    const failed = [];
    for (const a of accounts.filter(L.accountEnabled)) {
      try {
        await api('GET', `/admin/accounts/${a.id}/quota`);
      } catch (e) {
        if (e instanceof ApiError && e.keyRefused) return;
        failed.push(`“${a.name}”: ${e.message}`);  // names and reasons: not translated
      }
    }
    await loadOverview();
    if (failed.length) showMessage(t('No quota for {list}', {list: failed.join('; ')}), 'error');
  }

  // ---- live views -----------------------------------------------------------------------

  // With Live on, the view in front is drawn again every LIVE_MS: only its tables and cards
  // change, so scroll position and form input stay; a focused row button gets the focus back.
  // Nothing is refreshed under an open dialog, in a hidden tab, or on an older log page.
  const LIVE_MS = 5000;
  let liveFailed = false;

  function shownTab() {
    return TABS.find((t) => !$(`tab-${t}`).hidden);
  }

  async function refreshLive() {
    if (!$('live').checked || document.hidden || $('app').hidden ||
      document.querySelector('dialog[open]')) return;
    const tab = shownTab();
    if (!tab || (tab === 'requests' && requestLog.positions.length > 1)) return;
    const focused = document.activeElement && document.activeElement.getAttribute('aria-label');
    const draw = () => (tab === 'requests' ? showLogPage() : loaders[tab]());
    try {
      const before = writes;
      await draw();
      if (writes !== before) await draw();  // a change landed meanwhile: draw it, not the past
      liveFailed = false;
    } catch (e) {
      // Said once, not every few seconds; the key's own refusal has signed out already.
      if (!liveFailed && !(e instanceof ApiError && e.keyRefused)) {
        showMessage(t('Live refresh failed: {why}', {why: e.message}), 'error');
      }
      liveFailed = true;
    }
    if (focused && document.activeElement === document.body) focusButton(focused);
  }

  // ---- searching and paging the account and key tables ----------------------------------

  // The admin API lists accounts and keys whole; the page searches and pages them. The search
  // and the page shown stay across reloads and live refreshes.
  const PAGE_SIZE = 50;
  const tables = {
    accounts: {
      rows: [], page: 1, columns: 9, usage: new Map(),
      draw: (a) => accountRow(a, tables.accounts.usage.get(a.id)),
      count: (c) => (c.searching ? t('{found} of {n} accounts match', c)
        : t(c.total === 1 ? N_('{n} account') : N_('{n} accounts'), c)),
      fields: ['id', 'name', 'kind', (a) => L.accountState(a), 'state_reason', 'notes'],
    },
    keys: {
      rows: [], page: 1, columns: 13, draw: (k) => keyRow(k),
      count: (c) => (c.searching ? t('{found} of {n} keys match', c)
        : t(c.total === 1 ? N_('{n} key') : N_('{n} keys'), c)),
      fields: ['id', 'name', 'description', 'key_prefix',
        (k) => (k.allowed_models || []).join(' ')],
    },
  };

  function drawTable(name) {
    const table = tables[name];
    const found = L.searchRows(table.rows, $(`${name}-search`).value, table.fields);
    const page = L.pageRows(found, table.page, PAGE_SIZE);
    table.page = page.page;
    const searching = found.length !== table.rows.length;
    fillBody($(`${name}-body`), found.length || !searching
      ? page.rows.map(table.draw) : [emptyRow(table.columns, t('Nothing matches the search.'))]);
    $(`${name}-empty`).hidden = table.rows.length > 0;
    $(`${name}-count`).textContent = table.count({
      searching, total: table.rows.length, n: fmtNum(table.rows.length),
      found: fmtNum(found.length),
    });
    $(`${name}-pager`).hidden = page.pages <= 1;
    $(`${name}-page`).textContent = t('{first}–{last} of {n}, page {page} of {pages}', {
      first: fmtNum(page.first), last: fmtNum(page.last), n: fmtNum(found.length),
      page: page.page, pages: page.pages,
    });
    $(`${name}-prev`).disabled = page.page === 1;
    $(`${name}-next`).disabled = page.page === page.pages;
  }

  function turnPage(name, step) {
    tables[name].page += step;
    drawTable(name);
  }

  // ---- accounts -------------------------------------------------------------------------

  const STATE_KIND = {
    healthy: 'ok', cooling: 'warn', half_open: 'warn', exhausted: 'bad', quarantined: 'bad',
  };
  const STATE_LABEL = {
    healthy: N_('healthy'), cooling: N_('cooling'), half_open: N_('half-open'),
    exhausted: N_('exhausted'), quarantined: N_('quarantined'), disabled: N_('disabled'),
    unhealthy: N_('unhealthy'),
  };

  function stateCell(account) {
    const state = account.state || (account.is_healthy ? 'healthy' : 'unhealthy');
    const cell = el('td', null, stateBadge(state));
    const notes = [];
    if (account.state_reason) notes.push(account.state_reason);
    if (account.state_until) notes.push(t('until {time}', {time: fmtTime(account.state_until)}));
    if (notes.length) append(cell, el('span', {class: 'reason', text: notes.join(' · ')}));
    return cell;
  }

  function accountRow(account, usage) {
    const enabled = L.accountEnabled(account);
    const named = {name: account.name};
    const actions = el('td', {class: 'actions'},
      button(t('Edit'), (e) => openAccountEdit(account, e.target), 'secondary',
        t('Edit account “{name}”', named)),
      button(t('Health'), (e) => guarded(e.target, () => openEvents(account, e.target)),
        'secondary', t('Health of account “{name}”', named)),
      button(enabled ? t('Disable') : t('Enable'), (e) => guarded(e.target, async () => {
        await api('PUT', `/admin/accounts/${account.id}`, {is_active: !enabled});
        showMessage(enabled ? t('Disabled account “{name}”.', named)
          : t('Enabled account “{name}”.', named), 'success');
        await loadAccounts();
      }), 'secondary', enabled ? t('Disable account “{name}”', named)
        : t('Enable account “{name}”', named)),
      button(t('Refresh token'), (e) => guarded(e.target, async () => {
        try {
          const answer = await api('POST', `/admin/accounts/${account.id}/refresh-token`);
          const until = answer && answer.access_expires_at;
          showMessage(until ? t('Refreshed the token of account “{name}”; it expires {time}.',
            {name: account.name, time: fmtTime(until)})
            : t('Refreshed the token of account “{name}”.', named), 'success');
        } finally {
          // A refused refresh quarantines the account: show its new state either way.
          await loadAccounts().catch(() => undefined);
        }
      }), 'secondary', t('Refresh token of account “{name}”', named)),
      button(t('Quota'), (e) => guarded(e.target, async () => {
        const q = await api('GET', `/admin/accounts/${account.id}/quota`);
        const facts = {
          name: account.name, used: fmtNum(q.used), limit: fmtNum(q.limit),
          remaining: fmtNum(q.remaining), time: fmtTime(q.next_reset),
        };
        let text = q.next_reset
          ? t('Quota of account “{name}”: {used} of {limit} used, {remaining} remaining, resets {time}', facts)
          : t('Quota of account “{name}”: {used} of {limit} used, {remaining} remaining', facts);
        if (q.subscription) text += ` (${q.subscription})`;
        showMessage(`${text}.`, 'info');
      }), 'secondary', t('Quota of account “{name}”', named)),
      button(t('Delete'), (e) => {
        if (!window.confirm(t('Delete account “{name}”? Its tokens are removed too.', named))) {
          return;
        }
        guarded(e.target, async () => {
          await api('DELETE', `/admin/accounts/${account.id}`);
          showMessage(t('Deleted account “{name}”.', named), 'success');
          await loadAccounts();
        });
      }, 'danger', t('Delete account “{name}”', named)));
    const name = el('td', {class: 'name', text: account.name, title: account.notes || ''});
    if (account.notes) append(name, el('span', {class: 'reason', text: account.notes}));
    return el('tr', {className: 'account-row'},
      el('td', {class: 'num', text: account.id}),
      name,
      el('td', {text: account.kind || '—'}),
      stateCell(account),
      el('td', null, yesNo(enabled)),
      el('td', {class: 'num', text: fmtLimit(account.requests_per_minute)}),
      el('td', {class: 'num', text: usage ? fmtNum(usage.total_requests_all_time) : '—'}),
      el('td', {class: 'num', text: usage ? fmtNum(usage.total_tokens_all_time) : '—'}),
      actions);
  }

  async function loadAccounts() {
    // Request and token counts come from the statistics; the table stands without them.
    const [accounts, usage] = await Promise.all([
      api('GET', '/admin/accounts'),
      api('GET', '/admin/stats/account-usage?days=1').catch(() => null),
    ]);
    const byId = new Map(((usage && usage.accounts) || []).map((u) => [u.account_id, u]));
    tables.accounts.rows = Array.isArray(accounts) ? accounts : [];
    tables.accounts.usage = byId;
    drawTable('accounts');
  }

  // ---- an account's health history ------------------------------------------------------

  function drawEvents(answer) {
    const account = answer.account || {};
    const state = L.accountState(account);
    $('events-title').textContent = t('Health of account “{name}”', {name: account.name});
    const notes = [account.state_reason, account.state_until &&
      t('until {time}', {time: fmtTime(account.state_until)})].filter((n) => n);
    $('events-state').replaceChildren(t('Now:'), ' ', stateBadge(state),
      notes.length ? ` ${notes.join(' · ')}` : '');
    const events = [...(answer.events || [])].reverse();
    fillBody($('events-body'), events.length
      ? events.map((e) => el('tr', null, el('td', {text: fmtTime(e.at)}),
        el('td', null, stateBadge(e.from)), el('td', null, stateBadge(e.to)),
        el('td', {class: 'name', text: e.reason || '—'})))
      : [emptyRow(4, t('No health changes recorded.'))]);
    // Only an account kept from serving by its health can be let back in by hand.
    $('events-reset-form').hidden = state === 'healthy' || state === 'disabled';
  }

  async function openEvents(account, opener) {
    editing.account = account;
    drawEvents(await api('GET', `/admin/accounts/${account.id}/events`));
    $('events-note').value = '';
    openDialog('account-events', 'events-error', opener);
  }

  async function resetHealth(event) {
    event.preventDefault();
    const account = editing.account;
    await submitForm($('events-reset'), 'events-error', async () => {
      await api('POST', `/admin/accounts/${account.id}/reset-health`,
        {note: $('events-note').value.trim()});
      $('events-note').value = '';
      showMessage(t('Account “{name}” may serve again.', {name: account.name}), 'success');
      await loadAccounts();
      drawEvents(await api('GET', `/admin/accounts/${account.id}/events`));
    });
  }

  async function addAccount(event) {
    event.preventDefault();
    await submitForm($('account-submit'), 'account-error', async () => {
      const body = {
        name: $('account-name').value.trim(),
        kind: $('account-kind').value,
        refresh_token: $('account-refresh-token').value.trim(),
      };
      const optional = {
        client_id: $('account-client-id').value.trim(),
        client_secret: $('account-client-secret').value.trim(),
        profile_arn: $('account-profile-arn').value.trim(),
        notes: $('account-notes').value.trim(),
      };
      for (const [field, value] of Object.entries(optional)) if (value) body[field] = value;
      const rpm = wholeNumber($('account-rpm'), t('Requests per minute'));
      if (rpm !== undefined) body.requests_per_minute = rpm;
      const created = await api('POST', '/admin/accounts', body);
      $('account-form').reset();  // the secrets leave the page with it
      showMessage(t('Added account “{name}”.', {name: created.name}), 'success');
      await loadAccounts();
    });
  }

  // ---- logging an account in ------------------------------------------------------------

  const LOGIN_POLL_MS = 2000;
  let onboarding = null;  // {id, timer}: the login this page follows

  function onboardError(text) {
    $('onboard-error').textContent = text;
    $('onboard-error').hidden = !text;
  }

  function endOnboarding() {
    if (onboarding) clearTimeout(onboarding.timer);
    onboarding = null;
    onboardError('');
    $('onboard-progress').hidden = true;
    $('onboard-form').hidden = false;
    $('onboard-url').value = '';
    $('onboard-callback').value = '';
  }

  // True when the login has ended: its outcome replaces the progress.
  function loginEnded(login) {
    if (login.state === 'pending') return false;
    endOnboarding();
    const ok = login.state === 'succeeded';
    $('onboard-result').textContent = ok
      ? t('Logged in: account {id}.', {id: login.account_id})
      : t('The login ended ({state}): {why}.',
        {state: login.state, why: login.message || t('no reason given')});
    $('onboard-result').className = ok ? 'ok' : 'bad';
    if (ok) {
      $('onboard-form').reset();
      loadAccounts();
    }
    $('onboard-name').focus();
    return true;
  }

  function followLogin(login) {
    if (loginEnded(login)) return;
    onboarding.timer = setTimeout(async () => {
      if (!onboarding || onboarding.id !== login.login) return;
      try {
        followLogin(await api('GET', `/admin/accounts/login/${login.login}`));
      } catch (e) {
        if (!(e instanceof ApiError && e.keyRefused)) onboardError(e.message);
      }
    }, LOGIN_POLL_MS);
  }

  function showLogin(login, kiro) {
    const url = kiro ? login.signin_url : login.verification_uri_complete;
    $('onboard-form').hidden = true;
    $('onboard-progress').hidden = false;
    $('onboard-result').textContent = '';
    $('onboard-instructions').textContent = kiro
      ? t('Open the sign-in page, sign in, then paste here the address your browser ends on ' +
        '(it starts with http://localhost and fails to load).')
      : t('Open the sign-in page and confirm the code; this page follows the login.');
    $('onboard-url').value = url;
    $('onboard-link').href = url;
    $('onboard-code-row').hidden = kiro;
    $('onboard-code').textContent = login.user_code || '';
    $('onboard-callback-form').hidden = !kiro;
    (kiro ? $('onboard-callback') : $('onboard-link')).focus();
  }

  // Starts a login (`body` names a new account or an existing one) for the card to follow.
  async function beginLogin(body, kiro) {
    if (onboarding) await cancelLogin();  // one login at a time in the card
    if (kiro) body.kiro = true;
    const login = await api('POST', '/admin/accounts/login', body);
    onboarding = {id: login.login, timer: null};
    return login;
  }

  function followNewLogin(login, kiro) {
    showLogin(login, kiro);
    if (!kiro) followLogin(login);
  }

  async function startLogin(event) {
    event.preventDefault();
    await guarded($('onboard-submit'), async () => {
      const kiro = $('onboard-method').value === 'kiro';
      const body = {name: $('onboard-name').value.trim()};
      const startUrl = $('onboard-start-url').value.trim();
      if (startUrl && !kiro) body.start_url = startUrl;
      const region = $('onboard-region').value.trim();
      if (region) body.region = region;
      followNewLogin(await beginLogin(body, kiro), kiro);
    });
  }

  // An account whose refresh token is gone for good signs in again, the way it first did (a
  // Kiro account at the portal, others with a device code); its id and settings stay.
  async function loginAgain() {
    const account = editing.account;
    const kiro = account.kind === 'social';
    await submitForm($('account-edit-login'), 'account-edit-error', async () => {
      const login = await beginLogin({account: account.id}, kiro);
      editing.opener = null;  // the focus goes to the login card instead
      closeDialog('account-edit');
      $('onboard').open = true;
      $('onboard').scrollIntoView({block: 'start'});
      followNewLogin(login, kiro);
    });
  }

  // An address the daemon refuses (another sign-in's, no code) leaves the sign-in waiting.
  async function completeSignin(event) {
    event.preventDefault();
    if (!onboarding) return;
    const control = $('onboard-callback-submit');
    control.disabled = true;
    try {
      const login = await api('POST', `/admin/accounts/login/${onboarding.id}/complete`,
        {callback_url: $('onboard-callback').value.trim()});
      loginEnded(login);
    } catch (e) {
      if (!(e instanceof ApiError && e.keyRefused)) onboardError(e.message);
      $('onboard-callback').focus();
    } finally {
      control.disabled = false;
    }
  }

  async function cancelLogin() {
    if (!onboarding) return;
    const id = onboarding.id;
    endOnboarding();
    await guarded(null, async () => {
      await api('DELETE', `/admin/accounts/login/${id}`);
      $('onboard-result').textContent = t('Login cancelled.');
      $('onboard-result').className = 'muted';
    });
  }

  // One line per file (or array element) of an upload: what became of it, and why.
  function uploadReport(answer) {
    const list = (name) => (answer && Array.isArray(answer[name]) ? answer[name] : []);
    const [imported, skipped, refused, registrations] =
      ['imported', 'skipped', 'refused', 'registrations'].map(list);
    const line = (kind, cls, entry, detail) => el('li', null,
      el('span', {class: cls, text: kind}), ` ${entry.source || t('upload')}`,
      entry.name ? ' — ' : '', entry.name ? el('strong', {text: entry.name}) : '',
      detail ? `: ${detail}` : '');
    const items = [
      ...imported.map((a) => line(t('added'), 'ok', a, a.refresh && a.refresh !== 'ok'
        ? t('first refresh failed: {why}', {why: a.refresh}) : '')),
      ...registrations.map((r) => line(t('registration'), 'muted', r,
        r.used_by && r.used_by.length ? t('used by {names}', {names: r.used_by.join(', ')})
          : t('not used by any token in this import'))),
      ...skipped.map((e) => line(t('skipped'), 'warn', e, e.reason)),
      ...refused.map((e) => line(t('refused'), 'bad', e, e.reason)),
    ];
    const report = [el('p', null, el('strong', {text: t('Imported {n}', {n: imported.length})}),
      t(', skipped {skipped}, refused {refused}.',
        {skipped: skipped.length, refused: refused.length}))];
    if (items.length) report.push(el('ul', {class: 'result-list'}, items));
    return report;
  }

  async function uploadFiles(event) {
    event.preventDefault();
    const files = $('upload-files').files;
    if (!files.length) return;
    // A report or an error left from the last upload would read as this one's.
    hideMessage();
    $('upload-result').replaceChildren();
    $('upload-result').hidden = true;
    await guarded($('upload-submit'), async () => {
      const form = new FormData();
      for (const file of files) form.append('files', file, file.name);
      const answer = await api('POST', '/admin/accounts/upload-json', form);
      $('upload-result').replaceChildren(...uploadReport(answer));
      $('upload-result').hidden = false;
      $('upload-form').reset();
      await loadAccounts();
    });
  }

  // ---- API keys -------------------------------------------------------------------------

  function keyRow(key) {
    const named = {name: key.name};
    const actions = el('td', {class: 'actions'});
    append(actions, button(t('Edit'), (e) => openKeyEdit(key, e.target), 'secondary',
      t('Edit key “{name}”', named)));
    if (key.is_active) {
      append(actions, button(t('Revoke'), (e) => {
        if (!window.confirm(t('Revoke key “{name}”? Clients using it are refused from now on.',
          named))) return;
        guarded(e.target, async () => {
          await api('POST', `/admin/api-keys/${key.id}/revoke`);
          showMessage(t('Revoked key “{name}”.', named), 'success');
          await loadKeys();
        });
      }, 'secondary', t('Revoke key “{name}”', named)));
    }
    append(actions, button(t('Delete'), (e) => {
      if (!window.confirm(t('Delete key “{name}”? This cannot be undone.', named))) return;
      guarded(e.target, async () => {
        await api('DELETE', `/admin/api-keys/${key.id}`);
        showMessage(t('Deleted key “{name}”.', named), 'success');
        await loadKeys();
      });
    }, 'danger', t('Delete key “{name}”', named)));
    const models = key.allowed_models || [];
    return el('tr', {className: 'key-row'},
      el('td', {class: 'num', text: key.id}),
      el('td', {class: 'name', text: key.name}),
      el('td', {class: 'name', text: key.description || ''}),
      el('td', null, el('code', {text: key.key_prefix || ''})),
      el('td', null, key.is_admin ? badge(t('admin'), 'warn') : badge(t('no'))),
      el('td', null, key.is_active ? badge(t('active'), 'ok') : badge(t('revoked'), 'bad')),
      el('td', {class: 'num', text: fmtLimit(key.requests_per_minute)}),
      el('td', {class: 'num', text: fmtLimit(key.requests_per_day)}),
      el('td', {class: 'num', text: fmtLimit(key.max_concurrent)}),
      el('td', {class: 'name', text: models.length ? models.join(', ') : t('all')}),
      el('td', {text: fmtTime(key.expires_at, t('never'))}),
      el('td', {text: fmtTime(key.last_used_at, t('never'))}),
      actions);
  }

  async function loadKeys() {
    const keys = await api('GET', '/admin/api-keys');
    tables.keys.rows = Array.isArray(keys) ? keys : [];
    drawTable('keys');
  }

  function showSecret(name, secret) {
    $('secret-name').textContent = `“${name}”`;
    $('secret-value').value = secret;
    $('secret-copied').hidden = true;
    $('secret-box').hidden = false;
    $('secret-value').focus();
    $('secret-value').select();
  }

  function hideSecret() {
    $('secret-value').value = '';
    $('secret-name').textContent = '';
    $('secret-box').hidden = true;
  }

  // Copies an input's value; `copied` (optional) is shown once it is done.
  async function copyInput(input, copied) {
    try {
      await navigator.clipboard.writeText(input.value);
    } catch (e) {
      // No clipboard API outside secure contexts (plain http from another host).
      input.focus();
      input.select();
      if (!document.execCommand('copy')) {
        showMessage(t('Copying is blocked here: select the text and copy it by hand.'), 'error');
        return;
      }
    }
    if (copied) copied.hidden = false;
  }

  async function createKey(event) {
    event.preventDefault();
    await submitForm($('key-submit'), 'key-error', async () => {
      const body = {name: $('key-name').value.trim(), is_admin: $('key-admin').checked};
      const description = $('key-description').value.trim();
      if (description) body.description = description;
      const numbers = [['requests_per_minute', 'key-rpm', N_('Requests per minute')],
        ['requests_per_day', 'key-rpd', N_('Requests per day')],
        ['max_concurrent', 'key-concurrent', N_('Concurrent requests')],
        ['expires_days', 'key-expires', N_('Expires in days')]];
      for (const [field, id, what] of numbers) {
        const n = wholeNumber($(id), t(what));
        if (n !== undefined) body[field] = n;
      }
      if ($('key-expires-at').value) body.expires_at = $('key-expires-at').value;
      const models = modelList($('key-models').value);
      if (models.length) body.allowed_models = models;
      const created = await api('POST', '/admin/api-keys', body);
      $('key-form').reset();
      showSecret(created.name, created.key);
      await loadKeys();
    });
  }

  // ---- editing, in a modal dialog --------------------------------------------------------

  // What each dialog edits, and the control that opened it (the focus goes back there).
  const editing = {key: null, account: null, opener: null};

  function openDialog(id, errorId, opener) {
    editing.opener = opener;
    showFormError(errorId, '');
    $(id).showModal();
  }

  function closeDialog(id) {
    $(id).close();
  }

  function focusButton(name) {
    const found = [...document.querySelectorAll('button[aria-label]')]
      .find((b) => b.getAttribute('aria-label') === name);
    if (found) found.focus();
  }

  function openKeyEdit(key, opener) {
    editing.key = key;
    $('key-edit-title').textContent = t('Edit key “{name}”', {name: key.name});
    $('edit-key-name').value = key.name;
    $('edit-key-description').value = key.description || '';
    $('edit-key-rpm').value = key.requests_per_minute;
    $('edit-key-rpd').value = key.requests_per_day;
    $('edit-key-concurrent').value = key.max_concurrent;
    $('edit-key-models').value = (key.allowed_models || []).join(', ');
    $('edit-key-expires').value = key.expires_at ? String(key.expires_at).slice(0, 10) : '';
    $('edit-key-admin').checked = key.is_admin;
    $('edit-key-enabled').checked = key.is_active;
    openDialog('key-edit', 'key-edit-error', opener);
  }

  async function saveKey(event) {
    event.preventDefault();
    const key = editing.key;
    await submitForm($('key-edit-save'), 'key-edit-error', async () => {
      const body = {
        name: $('edit-key-name').value.trim(),
        description: $('edit-key-description').value.trim(),
        requests_per_minute: wholeNumber($('edit-key-rpm'), t('Requests per minute')),
        requests_per_day: wholeNumber($('edit-key-rpd'), t('Requests per day')),
        max_concurrent: wholeNumber($('edit-key-concurrent'), t('Concurrent requests')),
        allowed_models: modelList($('edit-key-models').value),
        is_admin: $('edit-key-admin').checked,
        enabled: $('edit-key-enabled').checked,
      };
      // Sent only when changed: an expired key keeps its date without being refused for it.
      const expires = $('edit-key-expires').value;
      if (expires !== (key.expires_at ? String(key.expires_at).slice(0, 10) : '')) {
        body.expires_at = expires;
      }
      await api('PUT', `/admin/api-keys/${key.id}`, body);
      closeDialog('key-edit');
      showMessage(t('Saved key “{name}”.', {name: body.name}), 'success');
      await loadKeys();
      focusButton(t('Edit key “{name}”', {name: body.name}));  // the row was drawn anew
    });
  }

  function openAccountEdit(account, opener) {
    editing.account = account;
    $('account-edit-title').textContent = t('Edit account “{name}”', {name: account.name});
    $('edit-account-name').value = account.name;
    $('edit-account-rpm').value = account.requests_per_minute || 0;
    $('edit-account-notes').value = account.notes || '';
    $('edit-account-proxy').value = account.proxy || '';
    $('edit-account-endpoint').value = account.api_endpoint || '';
    $('edit-account-token').value = '';
    openDialog('account-edit', 'account-edit-error', opener);
  }

  async function saveAccount(event) {
    event.preventDefault();
    const account = editing.account;
    await submitForm($('account-edit-save'), 'account-edit-error', async () => {
      const body = {
        name: $('edit-account-name').value.trim(),
        requests_per_minute: wholeNumber($('edit-account-rpm'), t('Requests per minute')),
        notes: $('edit-account-notes').value.trim(),
        proxy: $('edit-account-proxy').value.trim(),
        api_endpoint: $('edit-account-endpoint').value.trim(),
      };
      const token = $('edit-account-token').value.trim();
      if (token) body.refresh_token = token;
      await api('PUT', `/admin/accounts/${account.id}`, body);
      $('edit-account-token').value = '';
      closeDialog('account-edit');
      showMessage(t('Saved account “{name}”.', {name: body.name}), 'success');
      await loadAccounts();
      focusButton(t('Edit account “{name}”', {name: body.name}));
    });
  }

  // ---- statistics -----------------------------------------------------------------------

  function statCard(label, value) {
    return el('div', {class: 'stat'},
      el('div', {class: 'value', text: fmtNum(value)}),
      el('div', {class: 'label', text: label}));
  }

  function usageCells(t) {
    return [t.requests, t.input_tokens, t.output_tokens, t.total_tokens]
      .map((n) => el('td', {class: 'num', text: fmtNum(n)}));
  }

  // One row per key, account or model (GET /admin/stats?by=), sortable by any column.
  const BREAKDOWN = [
    [N_('Name'), (r) => r.key_name || r.account_name || r.model || t('(none)'), false],
    [N_('Requests'), (r) => r.requests, true],
    [N_('Errors'), (r) => r.errors, true],
    [N_('Error rate'), (r) => L.errorRate(r.errors, r.requests), true, fmtRate],
    [N_('Input'), (r) => r.input_tokens, true],
    [N_('Output'), (r) => r.output_tokens, true],
    [N_('Credits'), (r) => r.credits, true],
    [N_('Avg ms'), (r) => r.avg_duration_ms, true],
    [N_('Avg TTFB ms'), (r) => r.avg_ttfb_ms, true],
  ];
  const breakdown = {rows: [], total: null, column: 1, descending: true};

  function fmtRate(x) {
    return `${(x * 100).toFixed(1)}%`;
  }

  function breakdownCells(row, tag) {
    return BREAKDOWN.map(([, value, numeric, format]) => el(tag, {
      class: numeric ? 'num' : 'name',
      text: numeric ? (format || fmtNum)(value(row)) : value(row),
    }));
  }

  function sortBreakdown(column) {
    breakdown.descending = breakdown.column === column ? !breakdown.descending : column > 0;
    breakdown.column = column;
    drawBreakdown();
    $('breakdown-head').querySelectorAll('button')[column].focus();
  }

  function drawBreakdown() {
    const [, value] = BREAKDOWN[breakdown.column];
    const rows = L.sortRows(breakdown.rows, value, breakdown.descending);
    $('breakdown-head').replaceChildren(...BREAKDOWN.map(([label, , numeric], i) => el('th', {
      scope: 'col', class: numeric ? 'num' : '',
      'aria-sort': i === breakdown.column ? (breakdown.descending ? 'descending' : 'ascending')
        : 'none',
    }, el('button', {type: 'button', class: 'sort', text: t(label),
      onclick: () => sortBreakdown(i)}))));
    $('breakdown-body').replaceChildren(...(rows.length
      ? rows.map((r) => el('tr', null, breakdownCells(r, 'td')))
      : [emptyRow(BREAKDOWN.length, t('No usage in this period.'))]));
    const total = Object.assign({key_name: t('Total')}, breakdown.total || {});
    $('breakdown-foot').replaceChildren(el('tr', null, breakdownCells(total, 'th')));
  }

  async function loadBreakdown() {
    const by = $('stats-by').value;
    const answer = await api('GET',
      `/admin/stats?days=${encodeURIComponent($('stats-days').value)}&by=${by}`);
    breakdown.rows = answer.rows || [];
    breakdown.total = answer.total;
    $('breakdown-title').textContent =
      t('Usage by {what}', {what: $('stats-by').selectedOptions[0].textContent});
    drawBreakdown();
  }

  // ---- charts (uPlot) -------------------------------------------------------------------

  // The series are summed from raw records on the master's loop: a live view draws them again
  // once a minute, not at every refresh; the form, the range and Reload draw them at once.
  const CHART_REFRESH_MS = 60000;
  const charts = {series: null, loadedAt: 0};

  function cssColor(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function chartQuery() {
    // The last N whole buckets, the current (partial) one included.
    const hours = Number($('chart-range').value);
    const query = new URLSearchParams({
      since: new Date(L.chartStart(Date.now(), hours)).toISOString().slice(0, 19) + 'Z',
      bucket: hours <= 168 ? 'hour' : 'day',
    });
    for (const [name, id] of [['key', 'chart-key'], ['account', 'chart-account'],
      ['model', 'chart-model']]) {
      const value = $(id).value.trim();
      if (value) query.set(name, value);
    }
    return query.toString();
  }

  // One uPlot chart in `id`, x the buckets' starts; lines: [label, values, colour variable].
  function drawChart(id, xs, lines, unit) {
    const target = $(id);
    const axis = {stroke: cssColor('--muted'), grid: {stroke: cssColor('--border'), width: 1},
      ticks: {stroke: cssColor('--border'), width: 1}};
    // Times in the page's language: uPlot's own labels are English ("Dec", "3pm").
    const hourly = charts.series.bucket === 'hour';
    const time = (s) => (s === null || s === undefined ? '—' : L.chartTime(s, hourly, language));
    const options = {
      width: Math.max(target.clientWidth, 260), height: 200,
      scales: {x: {time: true}},
      axes: [Object.assign({}, axis, {space: 90, values: (u, splits) => splits.map(time)}),
        Object.assign({}, axis, {size: 56})],
      series: [{label: t('Time'), value: (u, s) => time(s)}, ...lines.map(([label, , color]) => ({
        label, stroke: cssColor(color), width: 2, points: {show: false},
      }))],
    };
    target.replaceChildren();
    new uPlot(options, [xs, ...lines.map(([, values]) => values)], target);
    const summary = lines.map(([label, values]) =>
      t('{series}: {n} at most', {series: label, n: fmtNum(Math.max(0, ...values))})).join('; ');
    target.setAttribute('aria-label',
      t('{summary} {unit} per bucket; the table below has all values', {summary, unit}));
  }

  function drawCharts() {
    const points = (charts.series && charts.series.points) || [];
    const xs = points.map((p) => Date.parse(p.t) / 1000);
    const column = (field) => points.map((p) => p[field]);
    drawChart('chart-requests', xs, [[t('Requests'), column('requests'), '--accent'],
      [t('Errors'), column('errors'), '--bad']], t('requests'));
    drawChart('chart-tokens', xs, [[t('Input'), column('input_tokens'), '--accent'],
      [t('Output'), column('output_tokens'), '--ok']], t('tokens'));
    drawChart('chart-latency', xs, [['p50', column('p50_ms'), '--accent'],
      ['p95', column('p95_ms'), '--bad'], ['TTFB p50', column('ttfb_p50_ms'), '--ok']], 'ms');
  }

  async function loadCharts() {
    charts.series = await api('GET', `/admin/usage/series?${chartQuery()}`);
    charts.loadedAt = Date.now();
    const points = charts.series.points || [];
    drawCharts();
    $('chart-table').replaceChildren(...points.map((p) => el('tr', null,
      el('td', {text: fmtTime(p.t)}),
      ['requests', 'errors', 'input_tokens', 'output_tokens', 'p50_ms', 'p95_ms', 'ttfb_p50_ms',
        'ttfb_p95_ms'].map((f) => el('td', {class: 'num', text: fmtNum(p[f])})))));
    const total = points.reduce((n, p) => n + p.requests, 0);
    const counted = {n: fmtNum(total), buckets: points.length,
      time: fmtTime(charts.series.complete_until)};
    const hourly = charts.series.bucket === 'hour';
    $('chart-note').textContent = charts.series.complete_until
      ? (hourly ? t('{n} requests in {buckets} hours; too many to read at once: only those before {time}', counted)
        : t('{n} requests in {buckets} days; too many to read at once: only those before {time}', counted))
      : (hourly ? t('{n} requests in {buckets} hours.', counted)
        : t('{n} requests in {buckets} days.', counted));
  }

  async function loadStats() {
    const days = $('stats-days').value;
    const [tokens, accounts, keys] = await Promise.all([
      api('GET', `/admin/stats/tokens?days=${encodeURIComponent(days)}`),
      api('GET', '/admin/stats/accounts'),
      api('GET', '/admin/stats/api-keys'),
    ]);
    const period = tokens.period || {};
    const range = {from: fmtDay(period.start_date), to: fmtDay(period.end_date), n: period.days};
    $('stats-period').textContent = period.days === 1
      ? t('{from} to {to} (1 day, UTC)', range) : t('{from} to {to} ({n} days, UTC)', range);
    const total = tokens.total || {};
    $('stats-totals').replaceChildren(
      statCard(t('Requests'), total.requests),
      statCard(t('Input tokens'), total.input_tokens),
      statCard(t('Output tokens'), total.output_tokens),
      statCard(t('Total tokens'), total.total_tokens),
      statCard(t('Credits'), total.credits));
    await loadBreakdown();
    if ($('chart-key').options.length === 1) await loadNames();  // only "all" so far
    if (Date.now() - charts.loadedAt >= CHART_REFRESH_MS) await loadCharts();
    const daily = tokens.daily || [];
    $('stats-daily').replaceChildren(...(daily.length
      ? daily.map((d) => el('tr', null, el('td', {text: d.date}), usageCells(d)))
      : [emptyRow(5, t('No usage in this period.'))]));
    const byAccount = tokens.by_account || [];
    $('stats-accounts').replaceChildren(...(byAccount.length
      ? byAccount.map((a) => el('tr', null, el('td', {class: 'name', text: a.account_name}),
        usageCells(a)))
      : [emptyRow(5, t('No usage in this period.'))]));
    $('stats-summary').replaceChildren(
      statCard(t('Accounts'), accounts.total_accounts),
      statCard(t('Enabled accounts'), accounts.active_accounts),
      statCard(t('Healthy accounts'), accounts.healthy_accounts),
      statCard(t('API keys'), keys.total_keys),
      statCard(t('Active keys'), keys.active_keys),
      statCard(t('Requests'), accounts.total_requests),
      statCard(t('Tokens'), accounts.total_tokens));
  }

  // ---- request log ----------------------------------------------------------------------

  // The page shown is found again from where it started: `positions` holds the `before` of
  // each page from the newest, so Newest and Older need nothing else.
  const requestLog = {
    positions: [null], next: null, keys: new Map(), accounts: new Map(),
    drawn: 0,  // pages asked for: only the latest one asked is drawn
  };

  function fillSelect(select, records, fixed) {
    const chosen = select.value;
    select.replaceChildren(...fixed.map(([value, text]) => el('option', {value, text})),
      ...records.map((r) => el('option', {value: String(r.id), text: r.name})));
    select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
  }

  // The key and account choices of the log's and the charts' filters.
  async function loadNames() {
    const [keys, accounts] = await Promise.all([
      api('GET', '/admin/api-keys'), api('GET', '/admin/accounts')]);
    requestLog.keys = new Map(keys.map((k) => [k.id, k.name]));
    requestLog.accounts = new Map(accounts.map((a) => [a.id, a.name]));
    const none = ['none', t('none (never reached one)')];
    fillSelect($('log-key'), keys, [['', t('any')]]);
    fillSelect($('log-account'), accounts, [['', t('any')], none]);
    fillSelect($('chart-key'), keys, [['', t('all')]]);
    fillSelect($('chart-account'), accounts, [['', t('all')], none]);
  }

  // The form's filters as the query of GET /admin/usage; the time typed is UTC.
  function logQuery(before) {
    const query = new URLSearchParams();
    const fields = {
      request_id: $('log-request-id').value.trim(), key: $('log-key').value,
      account: $('log-account').value, model: $('log-model').value.trim(),
      status: $('log-status').value,
      since: $('log-since').value ? `${$('log-since').value}:00Z` : '',
    };
    for (const [name, value] of Object.entries(fields)) if (value) query.set(name, value);
    if (!fields.since) query.set('since', '1970-01-01');  // everything the store still holds
    query.set('limit', $('log-limit').value);
    if (before) query.set('before', before);
    return query.toString();
  }

  function named(map, id) {
    if (!id) return '—';
    return map.has(id) ? `${map.get(id)} (#${id})` : `#${id}`;
  }

  function statusCell(record) {
    const failed = record.status >= 400 || record.status === 0 || record.error_class;
    const cell = el('td', null, badge(String(record.status), failed ? 'bad' : 'ok'));
    if (record.error_class) append(cell, el('span', {class: 'reason', text: record.error_class}));
    return cell;
  }

  function logRow(r) {
    return el('tr', null,
      el('td', {text: fmtTime(r.time)}),
      el('td', {class: 'request-id', text: r.request_id || '—'}),
      el('td', {class: 'name', text: named(requestLog.keys, r.key_id)}),
      el('td', {class: 'name', text: named(requestLog.accounts, r.account_id)}),
      el('td', {text: r.client_model || '—'}),
      statusCell(r),
      [r.input_tokens, r.output_tokens, r.ttfb_ms, r.duration_ms]
        .map((n) => el('td', {class: 'num', text: fmtNum(n)})));
  }

  function logError(text) {
    $('log-error').textContent = text;
    $('log-error').hidden = !text;
  }

  async function showLogPage() {
    const before = requestLog.positions[requestLog.positions.length - 1];
    const asked = ++requestLog.drawn;
    const page = await api('GET', `/admin/usage?${logQuery(before)}`);
    if (asked !== requestLog.drawn) return;  // a newer search (or live refresh) draws instead
    const records = page.records || [];
    requestLog.next = page.next;
    fillBody($('log-body'), records.length
      ? records.map(logRow) : [emptyRow(10, t('No request matches.'))]);
    const number = requestLog.positions.length;
    const shownPage = {page: number, n: records.length};
    $('log-summary').textContent = records.length === 1
      ? (page.next ? t('Page {page}: 1 request, newest first; older ones follow.', shownPage)
        : t('Page {page}: 1 request, newest first.', shownPage))
      : (page.next ? t('Page {page}: {n} requests, newest first; older ones follow.', shownPage)
        : t('Page {page}: {n} requests, newest first.', shownPage));
    $('log-older').disabled = !page.next;
    $('log-newest').disabled = number === 1;
  }

  // A refused filter is told beside the form, announced, and the form keeps its input.
  async function searchLog(event) {
    if (event) event.preventDefault();
    requestLog.positions = [null];
    logError('');
    try {
      await showLogPage();
    } catch (e) {
      if (e instanceof ApiError && e.keyRefused) return;
      logError(e.message);
      $('log-error').scrollIntoView({block: 'nearest'});
    }
  }

  async function loadRequests() {
    await loadNames();
    await searchLog();
  }

  function clearLog() {
    $('log-form').reset();
    searchLog();
  }

  async function olderLog() {
    if (!requestLog.next) return;
    requestLog.positions.push(requestLog.next);
    await guarded(null, showLogPage);  // showLogPage decides which pager buttons work
  }

  async function newestLog() {
    requestLog.positions = [null];
    await guarded(null, showLogPage);
  }

  // ---- audit log ------------------------------------------------------------------------

  function changeList(entry) {
    const changes = L.auditChanges(entry);
    if (!changes.length) return el('span', {class: 'muted', text: '—'});
    const value = (v) => (v === '' ? t('(none)') : v);
    return el('ul', {class: 'changes'}, changes.map(([field, before, after]) => el('li', null,
      el('code', {text: field}), `: ${value(before)} → ${value(after)}`)));
  }

  function auditRow(entry) {
    return el('tr', null,
      el('td', {text: fmtTime(entry.at)}),
      el('td', {class: 'name', text: entry.actor || '—'}),
      el('td', null, el('code', {text: entry.command})),
      el('td', {class: 'name', text: L.auditSubject(entry) || '—'}),
      el('td', {class: 'name'}, changeList(entry)));
  }

  async function loadAudit() {
    const answer = await api('GET',
      `/admin/audit?limit=${encodeURIComponent($('audit-limit').value)}`);
    const entries = [...(answer.entries || [])].reverse();  // the newest first
    fillBody($('audit-body'), entries.length
      ? entries.map(auditRow) : [emptyRow(5, t('No changes yet.'))]);
  }

  // ---- wiring ---------------------------------------------------------------------------

  function start() {
    collectPageTexts();
    applyLanguage();
    $('language').addEventListener('change', chooseLanguage);
    darkQuery.addEventListener('change', applyTheme);
    setInterval(refreshLive, LIVE_MS);
    $('theme-toggle').addEventListener('click', cycleTheme);
    $('login-form').addEventListener('submit', signIn);
    $('logout').addEventListener('click', () => signOut(null));
    $('message-close').addEventListener('click', hideMessage);
    for (const tab of document.querySelectorAll('[data-tab]')) {
      tab.addEventListener('click', () => selectTab(tab.dataset.tab));
      tab.addEventListener('keydown', onTabKey);
    }
    window.addEventListener('hashchange', () => {
      const wanted = location.hash.slice(1);
      if (TABS.includes(wanted) && session.get()) selectTab(wanted);
    });
    $('accounts-reload').addEventListener('click', (e) => guarded(e.target, loadAccounts));
    $('account-form').addEventListener('submit', addAccount);
    $('upload-form').addEventListener('submit', uploadFiles);
    $('keys-reload').addEventListener('click', (e) => guarded(e.target, loadKeys));
    $('key-form').addEventListener('submit', createKey);
    $('secret-copy').addEventListener('click', () => copyInput($('secret-value'), $('secret-copied')));
    $('onboard-form').addEventListener('submit', startLogin);
    $('onboard-callback-form').addEventListener('submit', completeSignin);
    $('onboard-cancel').addEventListener('click', cancelLogin);
    $('onboard-copy').addEventListener('click', () => copyInput($('onboard-url')));
    $('secret-dismiss').addEventListener('click', hideSecret);
    $('stats-days').addEventListener('change', () => guarded(null, loadStats));
    $('overview-reload').addEventListener('click', (e) => guarded(e.target, loadOverview));
    $('overview-quota-check').addEventListener('click', (e) => guarded(e.target, checkQuotas));
    $('stats-reload').addEventListener('click', (e) => guarded(e.target, () => {
      charts.loadedAt = 0;
      return loadStats();
    }));
    $('stats-by').addEventListener('change', () => guarded(null, loadBreakdown));
    $('chart-form').addEventListener('submit', (e) => {
      e.preventDefault();
      guarded($('chart-apply'), loadCharts);
    });
    $('chart-range').addEventListener('change', () => guarded(null, loadCharts));
    for (const name of Object.keys(tables)) {
      $(`${name}-search`).addEventListener('input', () => {
        tables[name].page = 1;
        drawTable(name);
      });
      $(`${name}-prev`).addEventListener('click', () => turnPage(name, -1));
      $(`${name}-next`).addEventListener('click', () => turnPage(name, 1));
    }
    $('events-reset-form').addEventListener('submit', resetHealth);
    $('events-close').addEventListener('click', () => closeDialog('account-events'));
    $('audit-limit').addEventListener('change', () => guarded(null, loadAudit));
    $('audit-reload').addEventListener('click', (e) => guarded(e.target, loadAudit));
    $('key-edit-form').addEventListener('submit', saveKey);
    $('key-edit-cancel').addEventListener('click', () => closeDialog('key-edit'));
    $('account-edit-form').addEventListener('submit', saveAccount);
    $('account-edit-cancel').addEventListener('click', () => closeDialog('account-edit'));
    $('account-edit-login').addEventListener('click', loginAgain);
    for (const id of ['key-edit', 'account-edit', 'account-events']) {
      $(id).addEventListener('close', () => {
        if (id === 'account-edit') $('edit-account-token').value = '';
        // Rows drawn anew meanwhile hold a new button of the same name.
        if (editing.opener && editing.opener.isConnected) editing.opener.focus();
        else if (editing.opener) focusButton(editing.opener.getAttribute('aria-label'));
      });
    }
    $('log-form').addEventListener('submit', searchLog);
    $('log-clear').addEventListener('click', clearLog);
    $('log-reload').addEventListener('click', (e) => guarded(e.target, loadRequests));
    $('log-older').addEventListener('click', olderLog);
    $('log-newest').addEventListener('click', newestLog);

    if (session.get()) showApp();
    else signOut(null);
  }

  start();
})();
