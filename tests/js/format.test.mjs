// Dates read the same on every page: one date-time format, one calendar-day format.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { clockTime, longDay, longTime } from '../../genfactory/web/static/js/lib/format.js';

test('a date-time is English, month first, 24-hour, in local time', () => {
  assert.equal(longTime(new Date(2026, 10, 21, 16, 3, 7)), 'Nov 21, 2026, 16:03');
  assert.equal(longTime(new Date(2026, 0, 5, 9, 30)), 'Jan 5, 2026, 09:30');
  assert.equal(longTime('not a date'), '');
});

test('the event clock agrees with the date-time on the hour', () => {
  assert.equal(clockTime(new Date(2026, 10, 21, 16, 3, 7, 45)), '16:03:07.045');
});

test('a date input value becomes a calendar day, read as a local day', () => {
  assert.equal(longDay('2024-01-01'), 'Jan 1, 2024');
  assert.equal(longDay('2099-12-31'), 'Dec 31, 2099');
  assert.equal(longDay('yesterday'), 'yesterday');
});

test('the first hour after midnight is 00, not 24', () => {
  assert.equal(clockTime(new Date(2026, 0, 1, 0, 5, 7, 0)), '00:05:07.000');
  assert.equal(longTime(new Date(2026, 0, 1, 0, 5)), 'Jan 1, 2026, 00:05');
});
