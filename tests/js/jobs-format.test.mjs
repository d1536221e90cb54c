// Unit tests for genfactory/web/static/js/jobs/format.js — run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { humanDuration, jobSeconds, longDuration, ratePercent } from '../../genfactory/web/static/js/jobs/format.js';

test('table durations read like the spec ("2h 15m")', () => {
  assert.equal(humanDuration(2 * 3600 + 15 * 60 + 59), '2h 15m');
  assert.equal(humanDuration(45 * 60), '45m 00s');
  assert.equal(humanDuration(3600), '1h 00m');
  assert.equal(humanDuration(65), '1m 05s');
  assert.equal(humanDuration(12.9), '12s');
  assert.equal(humanDuration(0.254), '<1s');
  assert.equal(humanDuration(0), '<1s');
  assert.equal(humanDuration(26 * 3600), '1d 2h');
});

test('unknown durations are a dash, never NaN', () => {
  for (const value of [null, undefined, NaN, -1, 'x', Infinity]) assert.equal(humanDuration(value), '—');
  assert.equal(longDuration(null), '—');
});

test('long durations spell the units out', () => {
  assert.equal(longDuration(2 * 3600 + 15 * 60), '2 hours 15 minutes');
  assert.equal(longDuration(3600), '1 hour');
  assert.equal(longDuration(61), '1 minute 1 second');
  assert.equal(longDuration(120), '2 minutes');
  assert.equal(longDuration(1), '1 second');
  assert.equal(longDuration(0.2), 'less than a second');
});

test('rates are percentages with at most one decimal', () => {
  assert.equal(ratePercent(1), '100%');
  assert.equal(ratePercent(0.9523), '95.2%');
  assert.equal(ratePercent(0), '0%');
  assert.equal(ratePercent(1 / 3), '33.3%');
  assert.equal(ratePercent(null), null);
});

test('a running job counts from its start; a finished one keeps its duration', () => {
  const now = Date.parse('2026-01-01T10:00:30Z');
  assert.equal(jobSeconds({ status: 'running', started_at: '2026-01-01T10:00:00Z', duration_seconds: 3 }, now), 30);
  assert.equal(jobSeconds({ status: 'completed', started_at: '2026-01-01T10:00:00Z', finished_at: '2026-01-01T10:00:05Z', duration_seconds: 5 }, now), 5);
  assert.equal(jobSeconds({ status: 'queued', started_at: null, duration_seconds: null }, now), null);
});

test('labels are 1–200 characters after trimming, counted as the server counts them', async () => {
  const { labelProblem } = await import('../../genfactory/web/static/js/jobs/label-editor.js');
  assert.equal(labelProblem(''), 'Enter a label (1–200 characters).');
  assert.equal(labelProblem('ok'), '');
  assert.equal(labelProblem('x'.repeat(200)), '');
  assert.match(labelProblem('x'.repeat(201)), /at most 200 characters \(this one has 201\)/);
  assert.equal(labelProblem('😀'.repeat(200)), ''); // code points, not UTF-16 units
});
