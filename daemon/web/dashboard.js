// amq2api admin dashboard: plain JavaScript modules, no dependencies, no build step. They are
// external files because the page's Content-Security-Policy forbids inline script. This one
// signs in, switches views, refreshes them live and wires the page's controls.
import {$} from './base.js';
import {LANGUAGE_STORAGE, t, collectPageTexts, applyLanguage} from './i18n.js';
import {showMessage, hideMessage, copyInput, editing, closeDialog, focusButton} from './page.js';
import {session, ApiError, writes, api, whenKeyRefused} from './api.js';
import {guarded} from './actions.js';
import {darkQuery, applyTheme, cycleTheme} from './theme.js';
import {tables, drawTable, turnPage} from './tables.js';
import {loadOverview, checkQuotas} from './overview.js';
import {loadAccounts, addAccount, saveAccount} from './accounts.js';
import {resetHealth} from './health.js';
import {endOnboarding, startLogin, loginAgain, completeSignin, cancelLogin} from './login.js';
import {uploadFiles} from './upload.js';
import {loadKeys, hideSecret, createKey, saveKey} from './keys.js';
import {loadBreakdown, loadStats} from './stats.js';
import {charts, loadCharts} from './charts.js';
import {
  requestLog, showLogPage, searchLog, loadRequests, clearLog, olderLog, newestLog,
} from './requests.js';
import {loadAudit} from './audit.js';

const TABS = ['overview', 'accounts', 'keys', 'stats', 'requests', 'audit'];

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

// A choice from the switch is kept; the browser's own language is followed otherwise.
function chooseLanguage() {
  localStorage.setItem(LANGUAGE_STORAGE, $('language').value);
  applyLanguage();
  applyTheme();  // its button's text, and the charts
  const tab = shownTab();
  if (tab && !$('app').hidden) guarded(null, loaders[tab]);
}

// ---- wiring ---------------------------------------------------------------------------

function start() {
  collectPageTexts();
  applyLanguage();
  applyTheme();
  whenKeyRefused(signOut);
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
