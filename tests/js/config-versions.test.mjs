// Unit tests for comparing configuration versions (genfactory/web/static/js/lib/config-summary.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { sameVersion, versionChanges } from '../../genfactory/web/static/js/lib/config-summary.js';
import { compareNames } from '../../genfactory/web/static/js/lib/configurations-api.js';

const providers = [{ name: 'procedural', title: 'Procedural (demo renderer, not AI)' }];

test('a change list names each changed setting with its old and new value, and the description', () => {
  const changes = versionChanges(
    { description: '', settings: { steps: 5 } },
    { description: 'second', settings: { steps: 7, provider: 'procedural' } },
    providers,
  );
  assert.deepEqual(changes, ['provider default → Procedural', 'steps 5 → 7', 'description']);
});

test('settings the summary does not show are in the change list too', () => {
  const changes = versionChanges(
    { settings: { qc: { min_detail: 3 }, output_format: 'png' } },
    { settings: { qc: { min_detail: 5, vision: { enabled: true } }, output_format: 'webp', model: 'm1' } },
  );
  assert.deepEqual(changes, [
    'model default → m1',
    'output format PNG → WEBP',
    'QC min detail 3 → 5',
    'vision check enabled default → on',
  ]);
});

test('nothing changed: an empty list, whatever the key order', () => {
  assert.deepEqual(versionChanges({ settings: { a: 1, qc: { x: 1, y: 2 } } }, { settings: { qc: { y: 2, x: 1 }, a: 1 } }), []);
});

test('a form body that repeats the newest version is the same version', () => {
  const newest = { description: 'd', settings: { steps: 5, qc: { checks: ['blank'], min_detail: 2 } } };
  assert.equal(sameVersion({ description: 'd ', settings: { qc: { min_detail: 2, checks: ['blank'] }, steps: 5 } }, newest), true);
  assert.equal(sameVersion({ description: 'd', settings: { steps: 6, qc: { checks: ['blank'], min_detail: 2 } } }, newest), false);
  assert.equal(sameVersion({ description: 'e', settings: newest.settings }, newest), false);
  assert.equal(sameVersion({ description: 'd', settings: {} }, null), false);
});

test('names sort ignoring case, then exactly', () => {
  const names = ['beta', 'Alpha', '_under', 'alpha', 'Gamma', 'LLLL', 'back\\slash'];
  assert.deepEqual([...names].sort(compareNames), ['_under', 'Alpha', 'alpha', 'back\\slash', 'beta', 'Gamma', 'LLLL']);
});
