// amq2api admin dashboard: plain JavaScript, no dependencies, no build step. It is an external
// file because the page's Content-Security-Policy forbids inline script. Every value that
// comes from the API or the user reaches the page through textContent or element properties,
// never as markup.
'use strict';

(() => {
  const KEY_STORAGE = 'amq2api.adminKey';  // sessionStorage only: gone when the tab closes
  const THEME_STORAGE = 'amq2api.theme';  // localStorage: a display choice, never a secret
  const TABS = ['overview', 'accounts', 'keys', 'stats', 'requests'];
  const $ = (id) => document.getElementById(id);

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
    return value ? badge('yes', 'ok') : badge('no');
  }

  function fmtNum(n) {
    return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString() : '—';
  }

  // A limit of 0 is no cap at all.
  function fmtLimit(n) {
    return n === 0 ? 'no cap' : fmtNum(n);
  }

  function fmtTime(iso, none) {
    if (!iso) return none || '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(undefined, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    });
  }

  function fmtDay(iso) {
    return iso ? String(iso).slice(0, 10) : '—';
  }

  function emptyRow(columns, text) {
    return el('tr', null, el('td', {colSpan: columns, class: 'muted empty', text}));
  }

  // A whole number from an <input type="number">, or undefined when it is left empty.
  function wholeNumber(input, what) {
    const text = input.value.trim();
    if (text === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n)) throw new Error(`${what} must be a whole number`);
    return n;
  }

  // ---- colour theme ---------------------------------------------------------------------

  // auto follows the system's prefers-color-scheme, also when it changes; dark and light
  // are the user's choice, kept for the next visit.
  const THEMES = ['auto', 'dark', 'light'];
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
    $('theme-toggle').textContent = `Theme: ${choice}`;
    $('theme-toggle').setAttribute('aria-label', `Colour theme: ${choice}` +
      (choice === 'auto' ? ` (now ${dark ? 'dark' : 'light'})` : '') + '. Change it');
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
    return `the daemon answered HTTP ${status}`;
  }

  // Changes sent (any call but a GET): a live refresh that read before one drew stale data.
  let writes = 0;

  // One admin API call; resolves to the parsed answer, rejects with the daemon's "detail".
  async function api(method, path, body) {
    const key = session.get();
    if (!key) throw new ApiError(401, 'not signed in');
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
      throw new ApiError(0, `cannot reach the daemon: ${e.message}`);
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
    for (const id of ['accounts-body', 'keys-body', 'stats-daily', 'stats-accounts',
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
    requests: loadRequests,
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
      el('div', {class: 'compare', text: `yesterday ${show(yesterday)}`}));
  }

  function dayTotals(rows, date) {
    const row = rows.find((r) => r.date === date) || {};
    return {
      requests: row.requests || 0, errors: row.errors || 0, tokens: row.total_tokens || 0,
      credits: row.credits || 0,
    };
  }

  // The seed's is_active, else enabled: the admin API answers with both.
  function accountEnabled(account) {
    return account.is_active !== undefined ? account.is_active : account.enabled;
  }

  function accountState(account) {
    const enabled = accountEnabled(account);
    return enabled ? (account.state || 'healthy') : 'disabled';
  }

  function quotaItem(account) {
    const q = account.quota;
    const item = el('li', null, el('span', {class: 'name', text: account.name}));
    if (!q) {
      append(item, el('span', {class: 'muted', text: 'not checked yet'}));
      return item;
    }
    const label = `${fmtNum(q.used)} of ${fmtNum(q.limit)} used` +
      (q.next_reset ? `, resets ${fmtDay(q.next_reset)}` : '');
    append(item, [el('meter', {
      min: 0, max: Math.max(q.limit, 1), value: q.used, low: q.limit * 0.75,
      high: q.limit * 0.9, optimum: 0, 'aria-label': `Quota of account “${account.name}”`,
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
    const today = dayTotals(rows, String(period.to || '').slice(0, 10));
    const yesterday = dayTotals(rows, String(period.from || '').slice(0, 10));
    const rate = (t) => (t.requests ? t.errors / t.requests : 0);
    $('overview-today').replaceChildren(
      compareCard('Requests', today.requests, yesterday.requests),
      compareCard('Errors', today.errors, yesterday.errors),
      compareCard('Error rate', rate(today), rate(yesterday), fmtRate),
      compareCard('Tokens', today.tokens, yesterday.tokens),
      compareCard('Credits', today.credits, yesterday.credits));
    const list = Array.isArray(accounts) ? accounts : [];
    const counts = new Map();
    for (const a of list) counts.set(accountState(a), (counts.get(accountState(a)) || 0) + 1);
    $('overview-states').replaceChildren(...(list.length
      ? [...counts].map(([state, n]) => el('li', null,
        badge(state.replace('_', '-'), STATE_KIND[state] || ''),
        el('span', {class: 'count', text: fmtNum(n)})))
      : [el('li', {class: 'muted', text: 'No accounts yet.'})]));
    const queue = status.queue || {};
    const inflight = (status.workers || []).reduce((n, w) => n + (w.inflight || 0), 0);
    const facts = [
      ['Requests in flight', fmtNum(inflight)],
      ['Waiting for an account', `${fmtNum(queue.depth)} of at most ${fmtNum(queue.max)}`],
      ['Refused after waiting', `${fmtNum(queue.timeouts)} timed out, ${fmtNum(queue.full)} ` +
        'with the queue full (since start)'],
      ['Accounts cooling down', fmtNum(counts.get('cooling') || 0)],
      ['Workers', fmtNum((status.workers || []).length)],
    ];
    $('overview-now').replaceChildren(...facts.flatMap(([term, value]) =>
      [el('dt', {text: term}), el('dd', {text: value})]));
    $('overview-quota').replaceChildren(...(list.length
      ? list.map(quotaItem) : [el('li', {class: 'muted', text: 'No accounts yet.'})]));
    $('overview-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  // Asks the upstream for every enabled account's quota, one after another, then shows them.
  async function checkQuotas() {
    const accounts = await api('GET', '/admin/accounts');
    const failed = [];
    for (const a of accounts.filter(accountEnabled)) {
      try {
        await api('GET', `/admin/accounts/${a.id}/quota`);
      } catch (e) {
        if (e instanceof ApiError && e.keyRefused) return;
        failed.push(`“${a.name}”: ${e.message}`);
      }
    }
    await loadOverview();
    if (failed.length) showMessage(`No quota for ${failed.join('; ')}`, 'error');
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
        showMessage(`Live refresh failed: ${e.message}`, 'error');
      }
      liveFailed = true;
    }
    if (focused && document.activeElement === document.body) focusButton(focused);
  }

  // ---- accounts -------------------------------------------------------------------------

  const STATE_KIND = {
    healthy: 'ok', cooling: 'warn', half_open: 'warn', exhausted: 'bad', quarantined: 'bad',
  };

  function stateCell(account) {
    const state = account.state || (account.is_healthy ? 'healthy' : 'unhealthy');
    const cell = el('td', null, badge(state.replace('_', '-'), STATE_KIND[state] || ''));
    const notes = [];
    if (account.state_reason) notes.push(account.state_reason);
    if (account.state_until) notes.push(`until ${fmtTime(account.state_until)}`);
    if (notes.length) append(cell, el('span', {class: 'reason', text: notes.join(' · ')}));
    return cell;
  }

  function accountRow(account, usage) {
    const enabled = accountEnabled(account);
    const label = `account “${account.name}”`;
    const actions = el('td', {class: 'actions'},
      button('Edit', (e) => openAccountEdit(account, e.target), 'secondary', `Edit ${label}`),
      button(enabled ? 'Disable' : 'Enable', (e) => guarded(e.target, async () => {
        await api('PUT', `/admin/accounts/${account.id}`, {is_active: !enabled});
        showMessage(`${enabled ? 'Disabled' : 'Enabled'} ${label}.`, 'success');
        await loadAccounts();
      }), 'secondary', `${enabled ? 'Disable' : 'Enable'} ${label}`),
      button('Refresh token', (e) => guarded(e.target, async () => {
        try {
          const answer = await api('POST', `/admin/accounts/${account.id}/refresh-token`);
          const until = answer && answer.access_expires_at;
          showMessage(`Refreshed the token of ${label}` +
            (until ? `; it expires ${fmtTime(until)}.` : '.'), 'success');
        } finally {
          // A refused refresh quarantines the account: show its new state either way.
          await loadAccounts().catch(() => undefined);
        }
      }), 'secondary', `Refresh token of ${label}`),
      button('Quota', (e) => guarded(e.target, async () => {
        const q = await api('GET', `/admin/accounts/${account.id}/quota`);
        let text = `Quota of ${label}: ${fmtNum(q.used)} of ${fmtNum(q.limit)} used, ` +
          `${fmtNum(q.remaining)} remaining`;
        if (q.next_reset) text += `, resets ${fmtTime(q.next_reset)}`;
        if (q.subscription) text += ` (${q.subscription})`;
        showMessage(`${text}.`, 'info');
      }), 'secondary', `Quota of ${label}`),
      button('Delete', (e) => {
        if (!window.confirm(`Delete ${label}? Its tokens are removed too.`)) return;
        guarded(e.target, async () => {
          await api('DELETE', `/admin/accounts/${account.id}`);
          showMessage(`Deleted ${label}.`, 'success');
          await loadAccounts();
        });
      }, 'danger', `Delete ${label}`));
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
    const list = Array.isArray(accounts) ? accounts : [];
    $('accounts-body').replaceChildren(...list.map((a) => accountRow(a, byId.get(a.id))));
    $('accounts-empty').hidden = list.length > 0;
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
      const rpm = wholeNumber($('account-rpm'), 'Requests per minute');
      if (rpm !== undefined) body.requests_per_minute = rpm;
      const created = await api('POST', '/admin/accounts', body);
      $('account-form').reset();  // the secrets leave the page with it
      showMessage(`Added account “${created.name}”.`, 'success');
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
      ? `Logged in: account ${login.account_id}.`
      : `The login ${login.state}: ${login.message || 'no reason given'}.`;
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
      ? 'Open the sign-in page, sign in, then paste here the address your browser ends on ' +
        '(it starts with http://localhost and fails to load).'
      : 'Open the sign-in page and confirm the code; this page follows the login.';
    $('onboard-url').value = url;
    $('onboard-link').href = url;
    $('onboard-code-row').hidden = kiro;
    $('onboard-code').textContent = login.user_code || '';
    $('onboard-callback-form').hidden = !kiro;
    (kiro ? $('onboard-callback') : $('onboard-link')).focus();
  }

  async function startLogin(event) {
    event.preventDefault();
    await guarded($('onboard-submit'), async () => {
      const kiro = $('onboard-method').value === 'kiro';
      const body = {name: $('onboard-name').value.trim()};
      if (kiro) body.kiro = true;
      const startUrl = $('onboard-start-url').value.trim();
      if (startUrl && !kiro) body.start_url = startUrl;
      const region = $('onboard-region').value.trim();
      if (region) body.region = region;
      const login = await api('POST', '/admin/accounts/login', body);
      onboarding = {id: login.login, timer: null};
      showLogin(login, kiro);
      if (!kiro) followLogin(login);
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
      $('onboard-result').textContent = 'Login cancelled.';
      $('onboard-result').className = 'muted';
    });
  }

  // One line per file (or array element) of an upload: what became of it, and why.
  function uploadReport(answer) {
    const list = (name) => (answer && Array.isArray(answer[name]) ? answer[name] : []);
    const [imported, skipped, refused, registrations] =
      ['imported', 'skipped', 'refused', 'registrations'].map(list);
    const line = (kind, cls, entry, detail) => el('li', null,
      el('span', {class: cls, text: kind}), ` ${entry.source || 'upload'}`,
      entry.name ? ' — ' : '', entry.name ? el('strong', {text: entry.name}) : '',
      detail ? `: ${detail}` : '');
    const items = [
      ...imported.map((a) => line('added', 'ok', a,
        a.refresh && a.refresh !== 'ok' ? `first refresh failed: ${a.refresh}` : '')),
      ...registrations.map((r) => line('registration', 'muted', r,
        r.used_by && r.used_by.length ? `used by ${r.used_by.join(', ')}` :
          'not used by any token in this import')),
      ...skipped.map((e) => line('skipped', 'warn', e, e.reason)),
      ...refused.map((e) => line('refused', 'bad', e, e.reason)),
    ];
    const report = [el('p', null, el('strong', {text: `Imported ${imported.length}`}),
      `, skipped ${skipped.length}, refused ${refused.length}.`)];
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
    const label = `key “${key.name}”`;
    const actions = el('td', {class: 'actions'});
    append(actions, button('Edit', (e) => openKeyEdit(key, e.target), 'secondary',
      `Edit ${label}`));
    if (key.is_active) {
      append(actions, button('Revoke', (e) => {
        if (!window.confirm(`Revoke ${label}? Clients using it are refused from now on.`)) return;
        guarded(e.target, async () => {
          await api('POST', `/admin/api-keys/${key.id}/revoke`);
          showMessage(`Revoked ${label}.`, 'success');
          await loadKeys();
        });
      }, 'secondary', `Revoke ${label}`));
    }
    append(actions, button('Delete', (e) => {
      if (!window.confirm(`Delete ${label}? This cannot be undone.`)) return;
      guarded(e.target, async () => {
        await api('DELETE', `/admin/api-keys/${key.id}`);
        showMessage(`Deleted ${label}.`, 'success');
        await loadKeys();
      });
    }, 'danger', `Delete ${label}`));
    const models = key.allowed_models || [];
    return el('tr', {className: 'key-row'},
      el('td', {class: 'num', text: key.id}),
      el('td', {class: 'name', text: key.name}),
      el('td', {class: 'name', text: key.description || ''}),
      el('td', null, el('code', {text: key.key_prefix || ''})),
      el('td', null, key.is_admin ? badge('admin', 'warn') : badge('no')),
      el('td', null, key.is_active ? badge('active', 'ok') : badge('revoked', 'bad')),
      el('td', {class: 'num', text: fmtLimit(key.requests_per_minute)}),
      el('td', {class: 'num', text: fmtLimit(key.requests_per_day)}),
      el('td', {class: 'num', text: fmtLimit(key.max_concurrent)}),
      el('td', {class: 'name', text: models.length ? models.join(', ') : 'all'}),
      el('td', {text: fmtTime(key.expires_at, 'never')}),
      el('td', {text: fmtTime(key.last_used_at, 'never')}),
      actions);
  }

  async function loadKeys() {
    const keys = await api('GET', '/admin/api-keys');
    const list = Array.isArray(keys) ? keys : [];
    $('keys-body').replaceChildren(...list.map(keyRow));
    $('keys-empty').hidden = list.length > 0;
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
        showMessage('Copying is blocked here: select the text and copy it by hand.', 'error');
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
      const numbers = [['requests_per_minute', 'key-rpm', 'Requests per minute'],
        ['requests_per_day', 'key-rpd', 'Requests per day'],
        ['max_concurrent', 'key-concurrent', 'Concurrent requests'],
        ['expires_days', 'key-expires', 'Expires in days']];
      for (const [field, id, what] of numbers) {
        const n = wholeNumber($(id), what);
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
    $('key-edit-title').textContent = `Edit key “${key.name}”`;
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
        requests_per_minute: wholeNumber($('edit-key-rpm'), 'Requests per minute'),
        requests_per_day: wholeNumber($('edit-key-rpd'), 'Requests per day'),
        max_concurrent: wholeNumber($('edit-key-concurrent'), 'Concurrent requests'),
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
      showMessage(`Saved key “${body.name}”.`, 'success');
      await loadKeys();
      focusButton(`Edit key “${body.name}”`);  // the row was drawn anew
    });
  }

  function openAccountEdit(account, opener) {
    editing.account = account;
    $('account-edit-title').textContent = `Edit account “${account.name}”`;
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
        requests_per_minute: wholeNumber($('edit-account-rpm'), 'Requests per minute'),
        notes: $('edit-account-notes').value.trim(),
        proxy: $('edit-account-proxy').value.trim(),
        api_endpoint: $('edit-account-endpoint').value.trim(),
      };
      const token = $('edit-account-token').value.trim();
      if (token) body.refresh_token = token;
      await api('PUT', `/admin/accounts/${account.id}`, body);
      $('edit-account-token').value = '';
      closeDialog('account-edit');
      showMessage(`Saved account “${body.name}”.`, 'success');
      await loadAccounts();
      focusButton(`Edit account “${body.name}”`);
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
    ['Name', (r) => r.key_name || r.account_name || r.model || '(none)', false],
    ['Requests', (r) => r.requests, true],
    ['Errors', (r) => r.errors, true],
    ['Error rate', (r) => (r.requests ? r.errors / r.requests : 0), true, fmtRate],
    ['Input', (r) => r.input_tokens, true],
    ['Output', (r) => r.output_tokens, true],
    ['Credits', (r) => r.credits, true],
    ['Avg ms', (r) => r.avg_duration_ms, true],
    ['Avg TTFB ms', (r) => r.avg_ttfb_ms, true],
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
    const sign = breakdown.descending ? -1 : 1;
    const rows = [...breakdown.rows].sort((a, b) => {
      const x = value(a), y = value(b);
      return sign * (typeof x === 'string' ? x.localeCompare(y) : x - y);
    });
    $('breakdown-head').replaceChildren(...BREAKDOWN.map(([label, , numeric], i) => el('th', {
      scope: 'col', class: numeric ? 'num' : '',
      'aria-sort': i === breakdown.column ? (breakdown.descending ? 'descending' : 'ascending')
        : 'none',
    }, el('button', {type: 'button', class: 'sort', text: label, onclick: () => sortBreakdown(i)}))));
    $('breakdown-body').replaceChildren(...(rows.length
      ? rows.map((r) => el('tr', null, breakdownCells(r, 'td')))
      : [emptyRow(BREAKDOWN.length, 'No usage in this period.')]));
    const total = Object.assign({key_name: 'Total'}, breakdown.total || {});
    $('breakdown-foot').replaceChildren(el('tr', null, breakdownCells(total, 'th')));
  }

  async function loadBreakdown() {
    const by = $('stats-by').value;
    const answer = await api('GET',
      `/admin/stats?days=${encodeURIComponent($('stats-days').value)}&by=${by}`);
    breakdown.rows = answer.rows || [];
    breakdown.total = answer.total;
    $('breakdown-title').textContent =
      `Usage by ${$('stats-by').selectedOptions[0].textContent}`;
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
    const bucketHours = hours <= 168 ? 1 : 24;
    const bucketMs = bucketHours * 3600e3;
    const since = Math.floor(Date.now() / bucketMs) * bucketMs - (hours / bucketHours - 1) * bucketMs;
    const query = new URLSearchParams({
      since: new Date(since).toISOString().slice(0, 19) + 'Z',
      bucket: bucketHours === 1 ? 'hour' : 'day',
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
    const options = {
      width: Math.max(target.clientWidth, 260), height: 200,
      scales: {x: {time: true}},
      axes: [axis, Object.assign({}, axis, {size: 56})],
      series: [{}, ...lines.map(([label, , color]) => ({
        label, stroke: cssColor(color), width: 2, points: {show: false},
      }))],
    };
    target.replaceChildren();
    new uPlot(options, [xs, ...lines.map(([, values]) => values)], target);
    const summary = lines.map(([label, values]) =>
      `${label}: ${fmtNum(Math.max(0, ...values))} at most`).join('; ');
    target.setAttribute('aria-label', `${summary} ${unit} per bucket; the table below has all values`);
  }

  function drawCharts() {
    const points = (charts.series && charts.series.points) || [];
    const xs = points.map((p) => Date.parse(p.t) / 1000);
    const column = (field) => points.map((p) => p[field]);
    drawChart('chart-requests', xs, [['Requests', column('requests'), '--accent'],
      ['Errors', column('errors'), '--bad']], 'requests');
    drawChart('chart-tokens', xs, [['Input', column('input_tokens'), '--accent'],
      ['Output', column('output_tokens'), '--ok']], 'tokens');
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
    $('chart-note').textContent = `${fmtNum(total)} requests in ${points.length} ` +
      `${charts.series.bucket}s` + (charts.series.complete_until
      ? `; too many to read at once: only those before ${fmtTime(charts.series.complete_until)}`
      : '.');
  }

  async function loadStats() {
    const days = $('stats-days').value;
    const [tokens, accounts, keys] = await Promise.all([
      api('GET', `/admin/stats/tokens?days=${encodeURIComponent(days)}`),
      api('GET', '/admin/stats/accounts'),
      api('GET', '/admin/stats/api-keys'),
    ]);
    const period = tokens.period || {};
    $('stats-period').textContent =
      `${fmtDay(period.start_date)} to ${fmtDay(period.end_date)} ` +
      `(${period.days} day${period.days === 1 ? '' : 's'}, UTC)`;
    const total = tokens.total || {};
    $('stats-totals').replaceChildren(
      statCard('Requests', total.requests),
      statCard('Input tokens', total.input_tokens),
      statCard('Output tokens', total.output_tokens),
      statCard('Total tokens', total.total_tokens),
      statCard('Credits', total.credits));
    await loadBreakdown();
    if ($('chart-key').options.length === 1) await loadNames();  // only "all" so far
    if (Date.now() - charts.loadedAt >= CHART_REFRESH_MS) await loadCharts();
    const daily = tokens.daily || [];
    $('stats-daily').replaceChildren(...(daily.length
      ? daily.map((d) => el('tr', null, el('td', {text: d.date}), usageCells(d)))
      : [emptyRow(5, 'No usage in this period.')]));
    const byAccount = tokens.by_account || [];
    $('stats-accounts').replaceChildren(...(byAccount.length
      ? byAccount.map((a) => el('tr', null, el('td', {class: 'name', text: a.account_name}),
        usageCells(a)))
      : [emptyRow(5, 'No usage in this period.')]));
    $('stats-summary').replaceChildren(
      statCard('Accounts', accounts.total_accounts),
      statCard('Enabled accounts', accounts.active_accounts),
      statCard('Healthy accounts', accounts.healthy_accounts),
      statCard('API keys', keys.total_keys),
      statCard('Active keys', keys.active_keys),
      statCard('Requests', accounts.total_requests),
      statCard('Tokens', accounts.total_tokens));
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
    fillSelect($('log-key'), keys, [['', 'any']]);
    fillSelect($('log-account'), accounts, [['', 'any'], ['none', 'none (never reached one)']]);
    fillSelect($('chart-key'), keys, [['', 'all']]);
    fillSelect($('chart-account'), accounts, [['', 'all'], ['none', 'none (never reached one)']]);
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
    $('log-body').replaceChildren(...(records.length
      ? records.map(logRow) : [emptyRow(10, 'No request matches.')]));
    const number = requestLog.positions.length;
    $('log-summary').textContent = `Page ${number}: ${records.length} ` +
      `request${records.length === 1 ? '' : 's'}, newest first` +
      (page.next ? '; older ones follow.' : '.');
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

  // ---- wiring ---------------------------------------------------------------------------

  function start() {
    applyTheme();
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
    $('key-edit-form').addEventListener('submit', saveKey);
    $('key-edit-cancel').addEventListener('click', () => closeDialog('key-edit'));
    $('account-edit-form').addEventListener('submit', saveAccount);
    $('account-edit-cancel').addEventListener('click', () => closeDialog('account-edit'));
    for (const id of ['key-edit', 'account-edit']) {
      $(id).addEventListener('close', () => {
        if (id === 'account-edit') $('edit-account-token').value = '';
        if (editing.opener && editing.opener.isConnected) editing.opener.focus();
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
