// Unit tests for how Job Management words failures and checks labels (jobs/actions.js
// `message` / `unreachable`, jobs/label-editor.js `labelProblem`, copy-jobs.js) — run with
// `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { JOBS_COPY as T } from '../../genfactory/web/static/js/copy-jobs.js';
import { message, unreachable } from '../../genfactory/web/static/js/jobs/actions.js';
import { labelProblem } from '../../genfactory/web/static/js/jobs/label-editor.js';
import { ApiError } from '../../genfactory/web/static/js/lib/api.js';

const http = (status, detail = null) => new ApiError('network', `HTTP ${status}`, { status, detail });

test('no answer (or a proxy saying so) is "Server unavailable"', () => {
  for (const error of [new ApiError('network', 'Failed to fetch'), http(502), http(503), http(504)]) {
    assert.equal(unreachable(error), true);
    assert.equal(message(error), 'Server unavailable.');
  }
});

test('a 500 is the server answering with an error: its own words, else the status', () => {
  const said = http(500, { code: 'internal', message: 'The database is locked.' });
  assert.equal(unreachable(said), false);
  assert.equal(message(said), 'The database is locked.');
  assert.equal(message(http(500, 'boom')), 'boom');
  assert.match(message(http(500)), /answered with an error \(HTTP 500\)/);
  assert.doesNotMatch(message(http(507)), /unavailable/i);
});

test('other failures keep their message', () => {
  assert.equal(unreachable(new ApiError('conflict', 'Taken.', { status: 409 })), false);
  assert.equal(message(new ApiError('conflict', 'Taken.', { status: 409 })), 'Taken.');
  assert.equal(unreachable(null), false);
});

test('labels the server would refuse are caught in the field, in its words', () => {
  assert.equal(labelProblem('Harbor at dawn'), '');
  assert.equal(labelProblem('👨\u200d👩\u200d👧 family'), '', 'the zero-width joiner of emoji is allowed');
  assert.equal(labelProblem(''), T.labelEmpty);
  assert.equal(labelProblem('x'.repeat(201)), T.labelTooLong(201));
  assert.equal(labelProblem('bad\u0007bell'), 'Label must not contain control characters (found U+0007).');
  assert.equal(labelProblem('zero\u200bwidth'), 'Label must not contain invisible formatting characters (found U+200B).');
  assert.equal(labelProblem('lone \ud800'), 'Label must not contain control characters (found U+D800).');
  assert.equal(labelProblem('two\tcolumns'), 'Label must be one line, without tabs or line breaks (found U+0009).');
  assert.equal(labelProblem('two\nlines'), 'Label must be one line, without tabs or line breaks (found U+000A).');
  assert.equal(labelProblem('line\u2028separator'), 'Label must be one line, without tabs or line breaks (found U+2028).');
  assert.equal(labelProblem('first\u0007then\ttab'), 'Label must not contain control characters (found U+0007).', 'the first one found');
});

test('a failed rename is whole sentences, whatever the message ends with', () => {
  assert.equal(
    T.renameFailed('Label must not contain control characters (found U+0007)'),
    'Could not rename: Label must not contain control characters (found U+0007). The label was restored.',
  );
  assert.equal(T.renameFailed('Server unavailable.'), 'Could not rename: Server unavailable. The label was restored.');
  assert.equal(T.renameFailed('Really?'), 'Could not rename: Really? The label was restored.');
  assert.equal(T.renameFailed('boom '), 'Could not rename: boom. The label was restored.');
});
