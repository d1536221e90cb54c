// Unit tests for the list's pin (filter-state.js `apiParams` / `pinKey`) and the delete
// confirmation's running jobs (actions.js `splitRunning`, copy-jobs.js) — run with
// `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { JOBS_COPY as T } from '../../genfactory/web/static/js/copy-jobs.js';
import { splitRunning } from '../../genfactory/web/static/js/jobs/actions.js';
import { apiParams, defaultState, pinKey } from '../../genfactory/web/static/js/jobs/filter-state.js';

const state = (patch) => ({ ...defaultState(), ...patch });
const AS_OF = '2026-12-08T00:22:01.123456Z';

test('list requests carry the pin; the statistics never do', () => {
  const s = state({ q: 'feeder', page: 3 });
  assert.equal(apiParams(s, { page: 3, size: 25 }, AS_OF).get('as_of'), AS_OF);
  assert.equal(apiParams(s, { offset: 200, limit: 100 }, AS_OF).get('as_of'), AS_OF);
  assert.equal(apiParams(s, { page: 3, size: 25 }).has('as_of'), false, 'no pin: now');
  assert.equal(apiParams(s, null, AS_OF).has('as_of'), false, 'the cards count every job now');
});

test('the pin holds across pages and page sizes, and goes with the filters or the sort', () => {
  const base = state({ status: ['failed'], q: 'red' });
  const key = pinKey(base);
  assert.equal(pinKey({ ...base, page: 7 }), key);
  assert.equal(pinKey({ ...base, size: 100 }), key);
  assert.equal(pinKey({ ...base, size: 'all' }), key);
  for (const patch of [{ q: 'red fox' }, { status: [] }, { from: '2024-01-01' }, { configuration: 'X' },
    { sort: 'label' }, { order: 'asc' }]) {
    assert.notEqual(pinKey({ ...base, ...patch }), key, JSON.stringify(patch));
  }
});

test('picked jobs that are running are told apart (uploading too; unknown ones are deleted)', () => {
  const jobs = { a: { status: 'completed' }, b: { status: 'running' }, c: { status: 'queued' },
    d: { status: 'uploading' }, e: null };
  const split = splitRunning(['a', 'b', 'c', 'd', 'e'], (id) => jobs[id]);
  assert.deepEqual(split, { deletable: ['a', 'c', 'e'], running: ['b', 'd'] });
});

test('the delete confirmation says how many running jobs it skips', () => {
  assert.equal(T.deleteTitle(4), 'Delete 4 jobs?');
  assert.equal(T.deleteConfirm(4), 'Delete 4 jobs');
  assert.equal(T.deleteBody(4, 2),
    'Their events and images are removed too. This cannot be undone. 2 running jobs will be skipped: stop them first.');
  assert.equal(T.deleteBody(1, 1),
    'Its events and images are removed too. This cannot be undone. 1 running job will be skipped: stop it first.');
  assert.equal(T.deleteBody(3, 0), 'Their events and images are removed too. This cannot be undone.');
  // "All N matching": the page cannot know each job's status.
  assert.match(T.deleteBody(149), /Running jobs are skipped: stop them first\.$/);
  assert.match(T.deleteBody(1), /A running job is skipped: stop it first\.$/);
  assert.match(T.deleteOnlyRunning(2), /^All 2 selected jobs are running/);
});
