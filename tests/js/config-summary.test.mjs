// Unit tests for genfactory/web/static/js/lib/config-summary.js — run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { summarizeQc } from '../../genfactory/web/static/js/lib/config-summary.js';

test('a QC summary names the thresholds and an enabled vision check, never "[object Object]"', () => {
  const summary = summarizeQc({
    qc: { min_detail: 5, vision: { enabled: true, model: 'gpt-4.1', min_score: 0.7 } },
  });
  assert.match(summary, /min detail 5/);
  assert.match(summary, /vision check \(gpt-4\.1\)/);
  assert.doesNotMatch(summary, /object Object/);
});

test('a vision check that is off is not mentioned', () => {
  const summary = summarizeQc({ qc: { vision: { enabled: false } } });
  assert.doesNotMatch(summary, /vision/);
  assert.match(summary, /^QC: /);
});
