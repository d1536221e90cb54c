// Unit tests for renames, QC counts and deletions arriving live on the Job Management page
// (jobs/live-edits.js, the notice tap of jobs/live-stream.js, selection recount) — run
// with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  applyImageQc, applyLabel, applyQc, parseNotice, qcCounts, withoutDeleted,
} from '../../genfactory/web/static/js/jobs/live-edits.js';
import { applyEvent } from '../../genfactory/web/static/js/jobs/live.js';
import { noticeEnv } from '../../genfactory/web/static/js/jobs/live-stream.js';
import { createSelection } from '../../genfactory/web/static/js/jobs/selection.js';

const envelope = (type, data) => ({ job_id: 'j1', seq: 9, id: 99, type, time: '2026-01-01T10:00:00Z', data });

test('a label event renames the job once', () => {
  const job = { id: 'j1', label: 'Old' };
  assert.equal(applyLabel(job, envelope('label', { label: 'New', previous: 'Old' })), true);
  assert.equal(job.label, 'New');
  assert.equal(applyLabel(job, envelope('label', { label: 'New', previous: 'Old' })), false);
  assert.equal(applyLabel(job, envelope('label', {})), false);
  assert.equal(job.label, 'New');
});

test('a qc event sets the counts the server computed', () => {
  const job = { id: 'j1', image_count: 3, images_passed: 3, images_failed: 0 };
  assert.equal(applyQc(job, envelope('qc', { passed: 2, failed: 1, pending: 0 })), true);
  assert.deepEqual(qcCounts(job), { passed: 2, failed: 1, pending: 0 });
  assert.equal(applyQc(job, envelope('qc', { passed: 2, failed: 1 })), false, 'no change, no re-render');
  assert.equal(applyQc(job, envelope('qc', { passed: 'x', failed: 1 })), false);
});

test('each new image counts by its verdict, once', () => {
  const job = { id: 'j1', status: 'uploading', image_count: 0, images_passed: null, images_failed: null };
  assert.equal(qcCounts(job), null, 'no images: no counts');
  for (const [index, verdict] of [[0, 'passed'], [1, 'failed'], [2, 'passed']]) {
    const event = envelope('image', { index, qc_status: verdict });
    assert.equal(applyImageQc(job, event), true);
    applyEvent(job, event); // raises image_count, as the page does next
  }
  assert.equal(applyImageQc(job, envelope('image', { index: 1, qc_status: 'failed' })), false, 'already counted');
  assert.deepEqual(qcCounts(job), { passed: 2, failed: 1, pending: 0 });
  const pending = { id: 'j2', image_count: 4, images_passed: 1, images_failed: 1 };
  assert.deepEqual(qcCounts(pending), { passed: 1, failed: 1, pending: 2 });
});

test('notices parse from a WebSocket frame or SSE data; anything else is not one', () => {
  const data = { job_ids: ['a', 'b'], count: 2 };
  assert.deepEqual(parseNotice({ control: 'notice', type: 'jobs_deleted', time: 't', data }), { type: 'jobs_deleted', ids: ['a', 'b'], count: 2 });
  assert.deepEqual(parseNotice({ type: 'jobs_deleted', time: 't', data: { job_ids: null, count: 5000 } }), { type: 'jobs_deleted', ids: null, count: 5000 });
  assert.equal(parseNotice({ control: 'ping', time: 't' }), null);
  assert.equal(parseNotice({ type: 'something_new', data: {} }), null);
  assert.equal(parseNotice(null), null);
});

test('deleted rows leave the page and the total', () => {
  const page = { items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], total: 40 };
  const { page: next, removed } = withoutDeleted(page, new Set(['b', 'zz']));
  assert.equal(removed, 1);
  assert.deepEqual(next.items.map((j) => j.id), ['a', 'c']);
  assert.equal(next.total, 39);
  assert.equal(withoutDeleted(page, new Set(['zz'])).page, page, 'nothing removed: the same page');
});

test('the notice tap hands WS notice frames and SSE notice events on, and nothing else', () => {
  class FakeTarget {
    constructor(url) { this.url = url; this.listeners = {}; }
    addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }
    fire(type, data) { for (const fn of this.listeners[type] ?? []) fn({ data }); }
  }
  const seen = [];
  const env = noticeEnv((notice) => seen.push(notice), { WebSocket: FakeTarget, EventSource: FakeTarget });
  const ws = new env.WebSocket('ws://x/api/events/ws');
  assert.equal(ws.url, 'ws://x/api/events/ws');
  ws.fire('message', JSON.stringify({ control: 'notice', type: 'jobs_deleted', data: { job_ids: ['a'], count: 1 } }));
  ws.fire('message', JSON.stringify({ job_id: 'a', id: 3, type: 'status', data: {} }));
  ws.fire('message', 'not json');
  const sse = new env.EventSource('/api/events/stream');
  sse.fire('notice', JSON.stringify({ type: 'jobs_deleted', data: { job_ids: null, count: 300 } }));
  sse.fire('message', JSON.stringify({ type: 'jobs_deleted', data: { job_ids: ['b'], count: 1 } }));
  assert.deepEqual(seen, [
    { type: 'jobs_deleted', ids: ['a'], count: 1 },
    { type: 'jobs_deleted', ids: null, count: 300 },
  ]);
  assert.deepEqual(noticeEnv(() => {}, {}), {}, 'no browser classes: the transport keeps its defaults');
});

test('"all matching" follows the count the filter matches now, both ways; ids mode forgets deletions', () => {
  let changes = 0;
  const selection = createSelection({ onChange: () => { changes += 1; } });
  selection.selectMatching({ filter: { q: 'x' }, count: 10, key: 'k' });
  selection.recount(7);
  assert.equal(selection.size, 7);
  assert.deepEqual(selection.body(), { filter: { q: 'x' }, expected_count: 7 });
  selection.recount(12); // a new matching job arrived: the toolbar and the dialog say 12
  assert.equal(selection.size, 12);
  assert.deepEqual(selection.body(), { filter: { q: 'x' }, expected_count: 12 });
  const before = changes;
  selection.recount(12);
  assert.equal(changes, before, 'no change, no re-render');
  selection.clear();
  selection.toggle('a', null, true);
  selection.toggle('b', null, true);
  selection.recount(0);
  assert.equal(selection.mode, 'ids');
  selection.forget(['a']);
  assert.deepEqual(selection.ids(), ['b']);
});
