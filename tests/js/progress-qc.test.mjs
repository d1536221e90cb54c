// Unit tests for the job page's QC states (components/preview.js qcState, qcCounts) and the
// completed banner's wording (copy.js completedQcBody) — run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { qcCounts, qcState } from '../../genfactory/web/static/js/components/preview.js';
import { COPY } from '../../genfactory/web/static/js/copy.js';

const image = (id, qc_status, extra = {}) => ({ id, qc_status, qc_source: 'auto', ...extra });

test('an image takes its own verdict; an unknown one reads as pending', () => {
  assert.equal(qcState(image('a', 'passed')).qc, 'passed');
  assert.equal(qcState(image('a', 'failed')).qc, 'failed');
  assert.equal(qcState(image('a', 'weird')).qc, 'pending');
  assert.equal(qcState(image('a', 'failed', { qc_source: 'manual' })).byHand, true);
});

test('a completed regeneration replaces its source; a pending one marks it regenerating', () => {
  const source = image('a', 'failed');
  const pending = [{ source_image_id: 'a', source_index: 1, status: 'pending', image_id: null, image_index: null }];
  const running = qcState(source, pending);
  assert.deepEqual([running.qc, running.regenerating, running.replacedBy], ['failed', true, null]);

  const done = [{ ...pending[0], status: 'completed', image_id: 'b', image_index: 4 }];
  const replaced = qcState(source, done);
  assert.deepEqual([replaced.qc, replaced.verdict, replaced.replacedBy], ['replaced', 'failed', 5]);
  assert.equal(qcState(image('b', 'passed'), done).regeneratedFrom, 2);

  // A regeneration that failed leaves the image as it was.
  assert.equal(qcState(source, [{ ...pending[0], status: 'failed' }]).qc, 'failed');
});

test('the counts put a replaced image under replaced, not failed, and the banner says so', () => {
  const images = [image('a', 'failed'), image('b', 'passed'), image('c', 'failed'), image('d', 'pending')];
  const made = [{ source_image_id: 'a', source_index: 0, status: 'completed', image_id: 'b', image_index: 1 }];
  const counts = qcCounts(images, made);
  assert.deepEqual(counts, { passed: 1, failed: 1, pending: 1, replaced: 1 });
  assert.equal(
    COPY.completedQcBody(4, counts),
    '3 images ready · 1 failed quality checks · 1 replaced · 1 awaiting quality checks. Download, open or copy the URL below.',
  );
  assert.equal(
    COPY.completedQcBody(2, { passed: 2, failed: 0, pending: 0, replaced: 0 }),
    '2 images ready. Download, open or copy the URL below.',
  );
});
