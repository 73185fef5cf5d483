// Logging an account in from the login card: a device code or a Kiro sign-in.
import {$} from './base.js';
import {t} from './i18n.js';
import {editing, closeDialog} from './page.js';
import {ApiError, api} from './api.js';
import {guarded, submitForm} from './actions.js';
import {loadAccounts} from './accounts.js';

const LOGIN_POLL_MS = 2000;
let onboarding = null;  // {id, timer}: the login this page follows

function onboardError(text) {
  $('onboard-error').textContent = text;
  $('onboard-error').hidden = !text;
}

export function endOnboarding() {
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

export async function startLogin(event) {
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
export async function loginAgain() {
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
export async function completeSignin(event) {
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

export async function cancelLogin() {
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
