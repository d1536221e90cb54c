// Unit tests for the Jobs page's QA fixes (row menu, stat cards, the Single Job View log's
// dates) — run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { OPEN_SCROLL_GRACE_MS, scrollCloses } from '../../genfactory/web/static/js/jobs/row-menu.js';
import { cardClick } from '../../genfactory/web/static/js/jobs/stats.js';
import { dayLabels } from '../../genfactory/web/static/js/components/timeline.js';
import { localDay } from '../../genfactory/web/static/js/lib/format.js';

test('a scroll caused by opening the row menu does not close it', () => {
  const at = { x: 300, y: 400 };
  // Just opened (the click scrolled the ⋮ button into view): stays open, moved or not.
  assert.equal(scrollCloses({ sinceOpen: 5, before: at, now: { x: 300, y: 380 } }), false);
  assert.equal(scrollCloses({ sinceOpen: OPEN_SCROLL_GRACE_MS - 1, before: at, now: null }), false);
  // Later: a scroll that leaves the anchor where it was (elsewhere on the page) keeps it...
  assert.equal(scrollCloses({ sinceOpen: 1000, before: at, now: { x: 300.4, y: 400 } }), false);
  // ...one that moves the anchor closes it, and so does any later scroll of a point menu.
  assert.equal(scrollCloses({ sinceOpen: 1000, before: at, now: { x: 300, y: 360 } }), true);
  assert.equal(scrollCloses({ sinceOpen: 1000, before: null, now: null }), true);
});

test('a pressed statistics card pressed again releases its filter', () => {
  assert.deepEqual(cardClick('failed', false), ['failed']);
  assert.deepEqual(cardClick('failed', true), []);
  assert.deepEqual(cardClick('total', false), []);
  assert.deepEqual(cardClick('total', true), []);
});

test('the log shows the date on its first row and where the day changes', () => {
  const at = (d, h) => new Date(2026, 11, d, h, 30).toISOString();
  assert.equal(localDay(at(7, 23)), '2026-12-07');
  assert.equal(localDay('not a time'), '');
  const labels = dayLabels([at(7, 22), at(7, 23), at(8, 0), at(8, 9), at(10, 9), '']);
  assert.deepEqual(labels, ['Dec 7, 2026', '', 'Dec 8, 2026', '', 'Dec 10, 2026', '']);
  assert.deepEqual(dayLabels([]), []);
});
