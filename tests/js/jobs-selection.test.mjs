// Unit tests for genfactory/web/static/js/jobs/selection.js — run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createSelection, rangeIds } from '../../genfactory/web/static/js/jobs/selection.js';

const rows = (...ids) => ids.map((id) => [id, { id }]);

test('ranges run either way and include both ends', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];
  assert.deepEqual(rangeIds(order, 'b', 'd'), ['b', 'c', 'd']);
  assert.deepEqual(rangeIds(order, 'd', 'b'), ['b', 'c', 'd']);
  assert.deepEqual(rangeIds(order, 'c', 'c'), ['c']);
  assert.deepEqual(rangeIds(order, null, 'c'), ['c']);
  assert.deepEqual(rangeIds(order, 'zz', 'c'), ['c']); // anchor on another page
  assert.deepEqual(rangeIds(order, 'a', 'zz'), []);
});

test('toggle sets the anchor; shift-range takes the anchor state', () => {
  let changes = 0;
  const sel = createSelection({ onChange: () => { changes += 1; } });
  sel.toggle('b', { id: 'b' });
  assert.equal(sel.anchor, 'b');
  const range = sel.selectRange(rows('a', 'b', 'c', 'd', 'e'), 'd');
  assert.deepEqual(range, ['b', 'c', 'd']);
  assert.deepEqual(sel.ids().sort(), ['b', 'c', 'd']);
  sel.toggle('b', null, false); // anchor b now unticked: a range unticks
  sel.selectRange(rows('a', 'b', 'c', 'd', 'e'), 'c');
  assert.deepEqual(sel.ids(), ['d']);
  assert.ok(changes >= 4);
});

test('the selection survives page and filter changes (it is a set of ids)', () => {
  const sel = createSelection();
  sel.setMany(rows('a', 'b'), true);
  sel.setMany(rows('x', 'y'), true); // another page
  assert.equal(sel.size, 4);
  sel.setMany(rows('a'), false);
  assert.deepEqual(sel.ids(), ['b', 'x', 'y']);
  assert.deepEqual(sel.body(), { ids: ['b', 'x', 'y'] });
});

test('select all matching sends the filter and the expected count', () => {
  const sel = createSelection();
  sel.setMany(rows('a', 'b'), true);
  sel.selectMatching({ filter: { status: ['failed'] }, count: 156, key: 'k' });
  assert.equal(sel.mode, 'matching');
  assert.equal(sel.size, 156);
  assert.ok(sel.has('anything-shown'));
  assert.deepEqual(sel.body(), { filter: { status: ['failed'] }, expected_count: 156 });
  assert.equal(sel.toggle('a', null, false), false, 'the page narrows first');
  sel.narrow(rows('b', 'c'));
  assert.equal(sel.mode, 'ids');
  assert.deepEqual(sel.ids(), ['b', 'c']);
});

test('clear says whether anything was selected; forget drops deleted ids', () => {
  const sel = createSelection();
  assert.equal(sel.clear(), false);
  sel.setMany(rows('a', 'b', 'c'), true);
  sel.forget(['b', 'zz']);
  assert.deepEqual(sel.ids(), ['a', 'c']);
  assert.equal(sel.clear(), true);
  assert.equal(sel.size, 0);
  assert.equal(sel.anchor, null);
});
