// Unit tests for the live-update logic of Job Management (jobs/live.js applyEvent, the rerun
// queue of jobs/batch-toolbar.js, the cards of jobs/stats.js, jobs/system-status.js) —
// run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { applyEvent, isNewJob } from '../../genfactory/web/static/js/jobs/live.js';
import { createRerunQueue } from '../../genfactory/web/static/js/jobs/batch-toolbar.js';
import { cardDetail } from '../../genfactory/web/static/js/jobs/stats.js';
import { describeHealth } from '../../genfactory/web/static/js/jobs/system-status.js';

const envelope = (type, data, time = '2026-01-01T10:00:10Z') => ({ job_id: 'j1', seq: 1, id: 1, type, time, data });
const queued = () => ({ id: 'j1', status: 'queued', started_at: null, finished_at: null, image_count: 0, progress: { percent: 0 } });

test('a status event moves the row; finishing asks for the snapshot and the stats', () => {
  const job = queued();
  let out = applyEvent(job, envelope('status', { status: 'running', previous: 'queued' }, '2026-01-01T10:00:00Z'));
  assert.deepEqual(out, { row: true, snapshot: false, stats: true });
  assert.equal(job.status, 'running');
  assert.equal(job.started_at, '2026-01-01T10:00:00Z');
  out = applyEvent(job, envelope('status', { status: 'completed', previous: 'uploading' }));
  assert.deepEqual(out, { row: true, snapshot: true, stats: true });
  assert.equal(job.duration_seconds, 10);
  assert.equal(job.progress.percent, 100);
  assert.deepEqual(applyEvent(job, envelope('status', { status: 'completed' })), { row: false, snapshot: false, stats: false });
});

test('progress re-renders only when the shown percent changes; images count up', () => {
  const job = { ...queued(), status: 'running' };
  assert.equal(applyEvent(job, envelope('progress', { percent: 45.2, stage: 'running' })).row, true);
  assert.equal(applyEvent(job, envelope('progress', { percent: 45.4, stage: 'running' })).row, false);
  assert.equal(applyEvent(job, envelope('image', { index: 1 })).row, true);
  assert.equal(job.image_count, 2);
  assert.equal(applyEvent(job, envelope('image', { index: 0 })).row, false);
});

test('a failure keeps the error; a new job is recognised', () => {
  const job = { ...queued(), status: 'running', started_at: '2026-01-01T10:00:00Z' };
  applyEvent(job, envelope('error', { code: 'timeout', message: 'slow', retryable: true }));
  assert.equal(job.error.code, 'timeout');
  assert.equal(isNewJob(envelope('status', { status: 'queued', previous: null })), true);
  assert.equal(isNewJob(envelope('status', { status: 'queued', previous: 'failed' })), false);
});

test('the rerun queue counts queued, running and finished reruns', () => {
  const q = createRerunQueue();
  q.add([{ job_id: 'a' }, { job_id: 'b' }, { job_id: 'c' }]);
  assert.deepEqual(q.counts(), { queued: 3, running: 0, completed: 0, failed: 0, cancelled: 0 });
  assert.equal(q.update('a', 'uploading'), true);
  assert.equal(q.update('zz', 'running'), false);
  q.update('b', 'completed');
  assert.deepEqual(q.counts(), { queued: 1, running: 1, completed: 1, failed: 0, cancelled: 0 });
  assert.equal(q.settled, false);
  q.update('a', 'failed');
  q.update('c', 'completed');
  assert.equal(q.settled, true);
});

test('a rerun a worker started before the request answered counts as running', () => {
  const q = createRerunQueue();
  assert.equal(q.update('early', 'running'), false); // its event came first
  q.add([{ job_id: 'early', status: 'queued' }, { job_id: 'late', status: 'queued' }]);
  assert.deepEqual(q.counts(), { queued: 1, running: 1, completed: 0, failed: 0, cancelled: 0 });
  for (let n = 0; n < 600; n += 1) q.update(`other-${n}`, 'running'); // bounded memory
  q.add([{ job_id: 'other-0', status: 'queued' }, { job_id: 'other-599', status: 'queued' }]);
  assert.deepEqual(q.counts(), { queued: 2, running: 2, completed: 0, failed: 0, cancelled: 0 });
});

test('stat cards say rates, trends and the queue', () => {
  const stats = {
    total: { count: 10, trend: { basis: 'last_7_days', change: 4, change_percent: 66.7 } },
    completed: { count: 8, rate: 0.8 },
    failed: { count: 2, rate: 0.2 },
    running: { count: 0 },
    pending: { count: 3, runnable: 2, waiting: 1 },
  };
  assert.equal(cardDetail('total', stats).text, '▲ 4 (67%) vs previous 7 days');
  assert.equal(cardDetail('completed', stats).text, '80% success rate');
  assert.equal(cardDetail('failed', stats).text, '20% failure rate');
  assert.equal(cardDetail('running', stats).text, 'Nothing running');
  assert.equal(cardDetail('pending', stats).text, '2 ready to run · 1 waiting to retry');
  stats.total.trend = { basis: 'range', change: -2, change_percent: null };
  assert.equal(cardDetail('total', stats).text, '▼ 2 vs previous period');
  stats.completed.rate = null;
  assert.equal(cardDetail('completed', stats).text, 'None finished yet');
  // Stopped jobs have no card: the total names them, so the cards add up.
  stats.cancelled = { count: 1250 };
  assert.deepEqual(cardDetail('total', stats), { text: '▼ 2 vs previous period', tone: 'down', note: '1,250 stopped' });
});

test('health reads as ok, degraded (no worker) or down', () => {
  assert.equal(describeHealth(null).state, 'down');
  assert.equal(describeHealth({ status: 'degraded', database: false, workers: {} }).state, 'down');
  assert.equal(describeHealth({ status: 'degraded', database: true, workers: { live_slots: 0 } }).state, 'degraded');
  const ok = describeHealth({ status: 'ok', database: true, workers: { live_slots: 2, local: { busy: 1 } } });
  assert.deepEqual(ok, { state: 'ok', text: 'System OK · 2 worker slots, 1 busy' });
});
