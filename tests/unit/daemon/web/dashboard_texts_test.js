// Every text the dashboard shows has its zh-CN translation, with the same places to fill.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const {WEB, pageTexts, scriptTexts, allTexts} = require('./dashboard_texts.js');
const zhCN = require(path.join(WEB, 'dashboard-zh-CN.js'));

const places = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('the extraction finds the page texts and the script texts', () => {
  const page = pageTexts('<p>Sign\n in <code>x y</code> now</p><input placeholder="a b">' +
    '<input placeholder="http://x" translate="no"><!-- c --><b aria-label="A &amp; B">1</b>');
  assert.deepEqual([...page].sort(), ['A & B', 'Sign in', 'a b', 'now']);
  const script = scriptTexts("t('One'); N_('Two {n}'); t('It\\'s ' +\n  'long', {n}); x('no');");
  assert.deepEqual([...script].sort(), ["It's long", 'One', 'Two {n}']);
});

test('every text has a translation', () => {
  const missing = [...allTexts()].filter((text) => !Object.hasOwn(zhCN, text));
  assert.deepEqual(missing, []);
});

test('no translation is left over from a text that is gone', () => {
  const texts = allTexts();
  assert.deepEqual(Object.keys(zhCN).filter((text) => !texts.has(text)), []);
});

test('a translation fills in the same values as its English text', () => {
  for (const [english, chinese] of Object.entries(zhCN)) {
    assert.deepEqual(places(chinese), places(english), english);
    assert.ok(chinese.trim(), english);
  }
});
