// Unit tests for genfactory/web/static/js/jobs/{virtual-window,paging,highlight}.js —
// run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { chunksFor, chunksToEvict, revealScrollTop, visibleRange } from '../../genfactory/web/static/js/jobs/virtual-window.js';
import { clampPage, pageCount, pageList, pageSpan } from '../../genfactory/web/static/js/jobs/paging.js';
import { splitByRanges } from '../../genfactory/web/static/js/jobs/highlight.js';

test('only the rows on screen (plus overscan) are rendered, spacers fill the rest', () => {
  const w = visibleRange({ scrollTop: 56 * 500, viewportHeight: 560, rowHeight: 56, count: 1000, overscan: 5 });
  assert.deepEqual(w, { start: 495, end: 516, padTop: 495 * 56, padBottom: (1000 - 516) * 56 });
  assert.equal(w.padTop + (w.end - w.start) * 56 + w.padBottom, 1000 * 56);
  assert.ok(w.end - w.start <= 21);
});

test('the window is clamped at both ends and empty lists render nothing', () => {
  assert.deepEqual(visibleRange({ scrollTop: 0, viewportHeight: 560, rowHeight: 56, count: 1000, overscan: 5 }),
    { start: 0, end: 16, padTop: 0, padBottom: 984 * 56 });
  const bottom = visibleRange({ scrollTop: 56 * 1000, viewportHeight: 560, rowHeight: 56, count: 1000, overscan: 5 });
  assert.equal(bottom.end, 1000);
  assert.equal(bottom.padBottom, 0);
  assert.deepEqual(visibleRange({ scrollTop: 0, viewportHeight: 500, rowHeight: 56, count: 0 }), { start: 0, end: 0, padTop: 0, padBottom: 0 });
  const few = visibleRange({ scrollTop: 0, viewportHeight: 560, rowHeight: 56, count: 3 });
  assert.deepEqual([few.start, few.end], [0, 3]);
});

test('a sticky header above the rows is accounted for', () => {
  const w = visibleRange({ scrollTop: 40 + 56 * 10, viewportHeight: 560, rowHeight: 56, count: 100, overscan: 0, offsetTop: 40 });
  assert.equal(w.start, 10);
});

test('chunks cover the window; eviction keeps the nearest', () => {
  assert.deepEqual(chunksFor(95, 210, 100), [0, 1, 2]);
  assert.deepEqual(chunksFor(0, 100, 100), [0]);
  assert.deepEqual(chunksFor(5, 5, 100), []);
  assert.deepEqual(chunksToEvict([0, 1, 2, 7, 8, 9], 8, 3).sort(), [0, 1, 2]);
  assert.deepEqual(chunksToEvict([1, 2], 1, 5), []);
});

test('revealing a row scrolls just enough, or not at all', () => {
  const base = { rowHeight: 56, viewportHeight: 560, offsetTop: 40 };
  assert.equal(revealScrollTop({ ...base, index: 2, scrollTop: 0 }), null);
  assert.equal(revealScrollTop({ ...base, index: 20, scrollTop: 0 }), 40 + 21 * 56 - 560);
  assert.equal(revealScrollTop({ ...base, index: 3, scrollTop: 56 * 10 }), 3 * 56);
});

test('page lists keep the ends and the neighbours', () => {
  assert.deepEqual(pageList(1, 1), [1]);
  assert.deepEqual(pageList(3, 7), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(pageList(1, 20), [1, 2, 3, 4, 5, '…', 20]);
  assert.deepEqual(pageList(10, 20), [1, '…', 9, 10, 11, '…', 20]);
  assert.deepEqual(pageList(20, 20), [1, '…', 16, 17, 18, 19, 20]);
  for (let p = 1; p <= 40; p++) {
    const list = pageList(p, 40);
    assert.ok(list.includes(p) && list[0] === 1 && list[list.length - 1] === 40);
    assert.equal(list.length, 7);
  }
  assert.equal(pageCount(0, 25), 1);
  assert.equal(pageCount(156, 25), 7);
  assert.equal(clampPage(99, 7), 7);
  assert.equal(clampPage('x', 7), 1);
  assert.deepEqual(pageSpan(2, 25, 40), { from: 26, to: 40 });
  assert.deepEqual(pageSpan(1, 25, 0), { from: 0, to: 0 });
});

test('highlights split text by merged ranges, never inventing text', () => {
  assert.deepEqual(splitByRanges('a red fox', [[2, 5]]), [
    { text: 'a ', mark: false }, { text: 'red', mark: true }, { text: ' fox', mark: false },
  ]);
  assert.deepEqual(splitByRanges('abcdef', [[3, 5], [0, 2], [1, 3]]).map((p) => [p.text, p.mark]), [['abcde', true], ['f', false]]);
  assert.deepEqual(splitByRanges('abc', [[5, 9], [2, 1], 'x']), [{ text: 'abc', mark: false }]);
  assert.deepEqual(splitByRanges('', null), [{ text: '', mark: false }]);
  const joined = splitByRanges('<b>x</b>', [[0, 3]]).map((p) => p.text).join('');
  assert.equal(joined, '<b>x</b>');
});
