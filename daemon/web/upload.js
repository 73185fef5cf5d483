// Importing token files.
import {$} from './base.js';
import {t} from './i18n.js';
import {el, hideMessage} from './page.js';
import {api} from './api.js';
import {guarded} from './actions.js';
import {loadAccounts} from './accounts.js';

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

export async function uploadFiles(event) {
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
