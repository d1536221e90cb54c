// Unit tests for genfactory/web/static/js/lib/config-summary.js: a count the configuration
// leaves open is not part of its summary (the Start page fills in the saved default, the
// API and CLI make 1). Run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { summarize } from '../../genfactory/web/static/js/lib/config-summary.js';

const providers = [{ name: 'procedural', title: 'Procedural (demo renderer, not AI)' }];

test('a count left open is left out of the summary', () => {
  assert.deepEqual(summarize({ provider: 'procedural', steps: 8 }, providers), ['Procedural', '8 steps']);
});

test('a count the configuration sets is in it', () => {
  assert.deepEqual(summarize({ provider: 'procedural', count: 3 }, providers), ['Procedural', '3 images']);
  assert.deepEqual(summarize({ count: 1 }, providers), ['default', '1 image']);
});
