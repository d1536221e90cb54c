// Unit tests for the progress page's model (lib/job-model.js) and banner views
// (components/banners.js) — run with `node --test tests/js/`.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import {
  applyEvent, keepLastRun, modelFromSnapshot, recallLastRun, stepStates,
} from '../../genfactory/web/static/js/lib/job-model.js';
import { connectionView, indicatorText, jobView } from '../../genfactory/web/static/js/components/banners.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s) => new Date(T0 + s * 1000).toISOString();

function snapshot(fields = {}) {
  return {
    id: 'job-1', short_id: 'job-1', status: 'queued', prompt: 'x', provider: 'procedural',
    params: { size: '256x256', steps: 20 }, attempt: 1, max_attempts: 3, created_at: at(0),
    started_at: null, last_seq: 1, progress: { stage: 'queued', percent: 0 }, ...fields,
  };
}

/** The events of a job whose attempt 1 is rate limited at step 2 and re-queued (attempt 2
 *  waits 30 s), as the server sends them; then, optionally, a cancel during the wait. */
function retryWaitEvents({ cancelled = true } = {}) {
  const status = (seq, s, status, previous, attempt) => ({
    seq, time: at(s), type: 'status', data: { status, previous, attempt, max_attempts: 3, reason: status },
  });
  const events = [
    status(1, 0, 'queued', null, 1),
    status(2, 1, 'running', 'queued', 1),
    { seq: 3, time: at(2), type: 'progress', data: { stage: 'running', percent: 4.5, step: 1, total: 20 } },
    { seq: 4, time: at(3), type: 'error', data: { code: 'rate_limited', message: 'slow down', retryable: true, retry_after: 30, attempt: 1 } },
    status(5, 3, 'queued', 'running', 2),
  ];
  if (cancelled) events.push(status(6, 4, 'cancelled', 'queued', 2));
  return events;
}

describe('cancelled during an automatic retry wait', () => {
  test('live: the attempt that ran and its progress, not "attempt 2 at 0 %"', () => {
    const model = modelFromSnapshot(snapshot({ last_seq: 0 }));
    const events = retryWaitEvents();
    for (const event of events.slice(0, -1)) applyEvent(model, event);
    assert.deepEqual([model.status, model.attempt, model.progress.percent], ['queued', 2, 0]);
    applyEvent(model, events.at(-1));
    assert.deepEqual([model.status, model.attempt, model.progress.percent], ['cancelled', 1, 4.5]);
    assert.equal(stepStates(model).running, 'cancelled');
  });

  test('the snapshot the cancel request returns keeps what the page knew', () => {
    const model = modelFromSnapshot(snapshot({ last_seq: 0 }));
    for (const event of retryWaitEvents({ cancelled: false })) applyEvent(model, event);
    const answer = modelFromSnapshot(snapshot({
      status: 'cancelled', attempt: 2, started_at: at(1), last_seq: 6,
      progress: { stage: 'cancelled', percent: 0 },
    }));
    keepLastRun(answer, model);
    assert.deepEqual([answer.attempt, answer.progress.percent, stepStates(answer).running], [1, 4.5, 'cancelled']);
  });

  test('a page opened afterwards learns it from the log', () => {
    const model = modelFromSnapshot(snapshot({
      status: 'cancelled', attempt: 2, started_at: at(1), last_seq: 6,
      progress: { stage: 'cancelled', percent: 0 },
    }));
    recallLastRun(model, retryWaitEvents());
    assert.deepEqual([model.attempt, model.progress.percent], [1, 4.5]);
  });

  test('an attempt cancelled while it runs keeps its own number and progress', () => {
    const model = modelFromSnapshot(snapshot({ last_seq: 0 }));
    for (const event of retryWaitEvents({ cancelled: false })) applyEvent(model, event);
    applyEvent(model, { seq: 6, time: at(34), type: 'status', data: { status: 'running', previous: 'queued', attempt: 2, max_attempts: 3 } });
    applyEvent(model, { seq: 7, time: at(35), type: 'progress', data: { stage: 'running', percent: 9, step: 2, total: 20 } });
    applyEvent(model, { seq: 8, time: at(36), type: 'status', data: { status: 'cancelled', previous: 'running', attempt: 2, max_attempts: 3 } });
    assert.deepEqual([model.attempt, model.progress.percent], [2, 9]);
  });

  test('cancelled before any attempt started: nothing to recall', () => {
    const model = modelFromSnapshot(snapshot({ last_seq: 0 }));
    applyEvent(model, { seq: 1, time: at(0), type: 'status', data: { status: 'queued', attempt: 1, max_attempts: 3 } });
    applyEvent(model, { seq: 2, time: at(1), type: 'status', data: { status: 'cancelled', previous: 'queued', attempt: 1, max_attempts: 3 } });
    assert.deepEqual([model.attempt, model.progress.percent, stepStates(model).queued], [1, 0, 'cancelled']);
  });
});

describe('failure advice', () => {
  const failed = (error) => {
    const model = modelFromSnapshot(snapshot({ status: 'failed', error, started_at: at(1) }));
    return jobView(model, T0);
  };

  test('a timeout suggests waiting a moment, and fewer steps if it keeps timing out', () => {
    const view = failed({ code: 'timeout', message: 'The provider timed out', retryable: true });
    const advice = view.lines.at(-1);
    assert.match(advice, /Wait a moment before retrying/);
    assert.match(advice, /try fewer steps/);
  });

  test('a refused API key: check it in Settings, then retry (enabled)', () => {
    const view = failed({ code: 'auth', message: 'The provider refused the API key', retryable: false });
    assert.equal(view.kind, 'failed-auth');
    assert.ok(view.lines.includes('Check the provider’s API key in Settings, then retry.'));
    // Not retryable as it is, retryable once the key is fixed: said, like every failure.
    assert.ok(view.lines.includes('Retryable: after you fix the API key.'));
    assert.ok(!view.lines.some((line) => /Change the prompt/.test(line)));
    assert.deepEqual(view.actions.find((a) => a.href === '/settings')?.label, 'Open Settings');
    assert.equal(view.actions.find((a) => a.action === 'retry')?.disabled, undefined);
  });
});

describe('connection views', () => {
  const state = (fields) => ({
    mode: 'poll', state: 'reconnecting', reason: 'network-lost', pollInterval: 2000, pollFailures: 0,
    nextRetryAt: T0 + 8000, retryInMs: 8000, attempt: 3, lastEventAt: null, cursor: 5, resetCode: null, ...fields,
  });

  test('reconnecting while polls answer: updates continue by polling', () => {
    const view = connectionView(state(), T0);
    assert.equal(view.title, 'Connection lost. Switching to polling.');
    assert.equal(view.lines[0], 'Reconnecting in 8 seconds (attempt 3). Updates continue by polling meanwhile.');
  });

  test('reconnecting while polls fail too: the server cannot be reached', () => {
    const view = connectionView(state({ pollFailures: 2 }), T0);
    assert.equal(view.title, 'Connection lost. Switching to polling.');
    assert.match(view.lines[0], /^The server cannot be reached, so no updates arrive\. Reconnecting in 8 seconds \(attempt 3\)\.$/);
    assert.doesNotMatch(view.lines[0], /continue/);
    for (const reason of ['blocked', 'manual']) {
      const degraded = connectionView(state({ state: 'degraded', reason, pollFailures: 1, nextRetryAt: null }), T0);
      assert.ok(degraded.lines.includes('The server cannot be reached right now, so no updates arrive.'), reason);
    }
  });

  test('offline: the spec copy, no countdown, "Reconnect now" off until the network is back', () => {
    const ts = state({ reason: 'offline', nextRetryAt: null, retryInMs: null, pollFailures: 1 });
    const view = connectionView(ts, T0);
    assert.equal(view.title, 'Connection lost. Switching to polling.');
    assert.deepEqual(view.lines, ['This device is offline. Updates resume as soon as the network is back.']);
    assert.deepEqual(view.actions.map((a) => [a.action, a.disabled]), [['reconnect', true]]);
    assert.equal(indicatorText(ts, T0, T0 - 5000), 'Offline · updated 5 s ago');
  });

  test('reconnecting online: "Reconnect now" is offered', () => {
    assert.deepEqual(connectionView(state(), T0).actions.map((a) => [a.action, a.disabled]), [['reconnect', false]]);
  });
});

test('a page opened mid-run, before any estimate, estimates from the next progress event', () => {
  const model = modelFromSnapshot(snapshot({
    status: 'running', status_changed_at: at(10), started_at: at(10), last_seq: 2,
    progress: { stage: 'running', percent: 0 }, eta_seconds: null,
  }));
  assert.equal(model.etaSeconds, null);
  applyEvent(model, { seq: 3, time: at(20), type: 'progress', data: { stage: 'running', percent: 25 } });
  assert.equal(model.etaSeconds, 30); // 10 s for 25 %: 30 s for the other 75 %
});

test('a manual retry says which attempt is queued and the new budget (QA: 3/3 became 4/6 unexplained)', async () => {
  const { COPY } = await import('../../genfactory/web/static/js/copy.js');
  assert.equal(COPY.retryRequested(4, 6), 'Retry requested: attempt 4 queued, up to 6 in all.');
});
