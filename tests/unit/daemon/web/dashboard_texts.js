// The texts the dashboard shows, as the page finds them: the text and labelling attributes of
// dashboard.html (what i18n.js's collectPageTexts translates) and the literal texts of
// the page's modules' t() and N_() calls. Shared by the tests; run alone, it prints the ones the
// zh-CN dictionary lacks.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const WEB = path.join(__dirname, '..', '..', '..', '..', 'daemon', 'web');
const read = (name) => fs.readFileSync(path.join(WEB, name), 'utf8');

const normal = (text) => text.replace(/\s+/g, ' ').trim();
const ENTITIES = {'&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'"};
const decode = (text) => text.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);

function pageTexts(html) {
  const texts = new Set();
  // As the page skips them: code, scripts, styles, what shows without JavaScript, comments.
  const markup = html.replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style|code|noscript)\b[^>]*>[\s\S]*?<\/\1>/g, '<x>');
  for (const [, text] of markup.matchAll(/>([^<]+)</g)) {
    const shown = normal(decode(text));
    if (/[A-Za-z]/.test(shown)) texts.add(shown);
  }
  for (const [tag] of markup.matchAll(/<[a-z][^>]*>/g)) {
    if (/translate="no"/.test(tag)) continue;
    for (const [, , value] of tag.matchAll(/\s(aria-label|placeholder|title)="([^"]*)"/g)) {
      texts.add(decode(value));
    }
  }
  return texts;
}

// 'a' or 'a' + 'b' (a long text split over lines), as JavaScript reads it.
function literal(source) {
  return [...source.matchAll(/'((?:[^'\\]|\\.)*)'/g)]
    .map(([, body]) => body.replace(/\\(.)/g, '$1')).join('');
}

function scriptTexts(js) {
  const texts = new Set();
  const call = /\b(?:t|N_)\(\s*('(?:[^'\\]|\\.)*'(?:\s*\+\s*'(?:[^'\\]|\\.)*')*)/g;
  for (const [, source] of js.matchAll(call)) texts.add(literal(source));
  return texts;
}

// The page's own modules: every script in daemon/web but the lib, the texts and uPlot.
function pageModules() {
  return fs.readdirSync(WEB).filter((name) => name.endsWith('.js') &&
    !['dashboard-lib.js', 'dashboard-zh-CN.js', 'uPlot.iife.min.js'].includes(name));
}

function allTexts() {
  const texts = new Set(pageTexts(read('dashboard.html')));
  for (const name of pageModules()) for (const text of scriptTexts(read(name))) texts.add(text);
  return texts;
}

module.exports = {WEB, pageTexts, scriptTexts, allTexts};

if (require.main === module) {
  const zh = require(path.join(WEB, 'dashboard-zh-CN.js'));
  for (const text of allTexts()) if (!(text in zh)) console.log(JSON.stringify(text));
}
