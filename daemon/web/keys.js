// The API keys view: the table, the one-time secret, creating and editing keys.
import {$} from './base.js';
import {N_, t} from './i18n.js';
import {
  append, el, button, badge, fmtLimit, fmtTime, wholeNumber, showMessage, modelList,
  editing, openDialog, closeDialog, focusButton,
} from './page.js';
import {api} from './api.js';
import {guarded, submitForm} from './actions.js';
import {tables, drawTable} from './tables.js';

export function keyRow(key) {
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

export async function loadKeys() {
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

export function hideSecret() {
  $('secret-value').value = '';
  $('secret-name').textContent = '';
  $('secret-box').hidden = true;
}

// Copies an input's value; `copied` (optional) is shown once it is done.

export async function createKey(event) {
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

export async function saveKey(event) {
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
