// What the progress page's banners say to screen readers and in their titles
// (components/banners.js) — run with `node --test tests/js/`.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { modelFromSnapshot } from '../../genfactory/web/static/js/lib/job-model.js';
import { connectionView, indicatorText, jobView } from '../../genfactory/web/static/js/components/banners.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('an automatic retry after a failed attempt', () => {
  const model = modelFromSnapshot({
    id: 'job-1', short_id: 'job-1', status: 'queued', prompt: 'x', provider: 'procedural',
    params: {}, attempt: 2, max_attempts: 3, created_at: new Date(T0).toISOString(),
    started_at: null, last_seq: 5, progress: { stage: 'queued', percent: 0 },
    run_after: new Date(T0 + 3000).toISOString(),
    error: { code: 'internal', message: 'The provider failed', retryable: true },
  });

  test('is announced once, with its reason and the attempt to come', () => {
    const view = jobView(model, T0);
    assert.equal(view.kind, 'auto-retry');
    assert.equal(view.announcement, `${view.title} ${view.lines[0]}`);
    assert.match(view.announcement, /^Attempt failed: The provider failed Attempt 2\/3 starts automatically/);
  });

  test('is no live region: its countdown would be spoken every second', () => {
    assert.equal(jobView(model, T0).role, undefined);
  });
});

describe('polling', () => {
  const ts = (reason) => ({ mode: 'poll', state: 'degraded', reason, pollInterval: 2000, pollFailures: 0 });

  test('chosen over a working stream: titled as polling, not as unavailable', () => {
    const view = connectionView(ts('manual'), T0);
    assert.equal(view.title, 'Polling every 2–12 seconds.');
    assert.equal(view.lines[0], 'You switched to polling. Live streaming can be tried again at any time.');
  });

  test('chosen after the stream failed: live updates are unavailable (the spec copy)', () => {
    const view = connectionView(ts('manual'), T0, false, { streamFailed: true });
    assert.equal(view.title, 'Live updates unavailable, using polling every 2–12 seconds.');
  });

  test('the automatic fallback keeps the spec copy', () => {
    const view = connectionView(ts('blocked'), T0);
    assert.equal(view.title, 'Real-time stream unavailable in this network.');
    assert.equal(view.lines[0], 'Live updates unavailable, using polling every 2–12 seconds.');
    assert.deepEqual(view.actions.map((a) => [a.label, a.disabled ?? false]),
      [['Switch to polling', false], ['Try SSE/WS again', false]]);
  });

  test('blocked: the banner says polling already runs and what "Switch to polling" changes', () => {
    const view = connectionView(ts('blocked'), T0);
    assert.match(view.lines[1], /^Polling started on its own;/);
    assert.match(view.lines[1], /Switch to polling to stay on polling/);
  });

  test('the cadence reads the same while the back-off moves (QA: "every 3 seconds", "every 2 seconds")', () => {
    for (const reason of ['blocked', 'manual']) {
      const texts = [2000, 3000, 4500, 12000].map((pollInterval) => {
        const state = { ...ts(reason), pollInterval };
        return [connectionView(state, T0, false, { streamFailed: true }), indicatorText(state, T0, T0)];
      });
      for (const [view, indicator] of texts.slice(1)) {
        assert.deepEqual([view.title, view.lines], [texts[0][0].title, texts[0][0].lines], reason);
        assert.equal(indicator, texts[0][1], reason);
      }
      assert.equal(texts[0][1], 'Polling every 2–12 s · updated just now');
    }
  });
});
