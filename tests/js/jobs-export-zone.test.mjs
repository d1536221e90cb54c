// An export carries the reader's time zone, and falls back to UTC when the server's
// time-zone data does not know it (never failing the export for it).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError } from '../../genfactory/web/static/js/lib/api.js';
import { inReaderZone, readerTimeZone } from '../../genfactory/web/static/js/jobs/api.js';

test('the reader zone is the runtime\'s IANA zone', () => {
  assert.equal(readerTimeZone(), Intl.DateTimeFormat().resolvedOptions().timeZone);
});

test('an export is sent with the zone it is given', async () => {
  const sent = [];
  const result = await inReaderZone(async (zone) => { sent.push(zone); return 'op'; }, 'Europe/Berlin');
  assert.equal(result, 'op');
  assert.deepEqual(sent, ['Europe/Berlin']);
});

test('a zone the server refuses is dropped, once', async () => {
  const sent = [];
  const result = await inReaderZone(async (zone) => {
    sent.push(zone);
    if (zone) throw new ApiError('validation', 'Unknown time zone', { status: 422, fields: { time_zone: 'Unknown time zone' } });
    return 'op in UTC';
  }, 'America/Ciudad_Juarez');
  assert.equal(result, 'op in UTC');
  assert.deepEqual(sent, ['America/Ciudad_Juarez', '']);
});

test('other failures are not retried', async () => {
  let calls = 0;
  await assert.rejects(inReaderZone(async () => {
    calls += 1;
    throw new ApiError('validation', 'Select at least one job.', { status: 422, fields: { ids: 'Select at least one job.' } });
  }, 'Europe/Berlin'), /Select at least one job/);
  assert.equal(calls, 1);
});
