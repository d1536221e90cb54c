// Unit tests for genfactory/web/static/js/jobs/filter-state.js — run with `node --test tests/js/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { JOBS_COPY } from '../../genfactory/web/static/js/copy-jobs.js';
import {
  activeCount, apiParams, apiStatuses, applyFilter, chips, clearFilter, datesInverted, defaultState,
  filterBody, filterKey, localDayStart, nextSort, parseQuery, presetFilter, statusKeysFromApi, toQuery, validDay,
} from '../../genfactory/web/static/js/jobs/filter-state.js';

const state = (patch) => ({ ...defaultState(), ...patch });

test('the default state has an empty query string, and back', () => {
  assert.equal(toQuery(defaultState()), '');
  assert.deepEqual(parseQuery(''), defaultState());
});

test('state ↔ query string round-trips every field', () => {
  const s = state({
    status: ['failed', 'completed'], from: '2024-01-01', to: '2024-01-31', configuration: 'Product Photos',
    q: 'red fox', page: 3, size: 50, sort: 'duration', order: 'asc',
  });
  const query = toQuery(s);
  assert.match(query, /^\?/);
  const back = parseQuery(query.slice(1));
  assert.deepEqual(back, { ...s, status: ['completed', 'failed'] }); // the spec's order
});

test('the scroll view has no page number in the address', () => {
  const query = toQuery(state({ size: 'all', page: 4 }));
  assert.equal(query, '?size=all');
  assert.equal(parseQuery(query).size, 'all');
});

test('malformed query values fall back to the defaults', () => {
  const s = parseQuery('status=bogus,failed&from=2024-02-30&to=yesterday&page=-2&size=7&sort=drop&order=sideways');
  assert.deepEqual(s, state({ status: ['failed'] }));
  assert.equal(validDay('2024-02-29'), '2024-02-29');
  assert.equal(validDay('2023-02-29'), '');
});

test('a link with an inverted date range opens with no dates (the page would never load)', () => {
  assert.deepEqual(parseQuery('from=2026-12-10&to=2026-12-01&q=fox'), state({ q: 'fox' }));
  assert.deepEqual(parseQuery('from=2026-12-01&to=2026-12-01'), state({ from: '2026-12-01', to: '2026-12-01' }));
});

test('status keys map to API statuses and back (running includes uploading)', () => {
  assert.deepEqual(apiStatuses(['running', 'pending', 'stopped']), ['running', 'uploading', 'cancelled', 'queued']);
  assert.deepEqual(statusKeysFromApi(['uploading', 'queued', 'cancelled', 'stopped', 'nope']), ['running', 'stopped', 'pending']);
});

test('API parameters: filters, paging and sort; stats leave status out', () => {
  const s = state({ status: ['running'], configuration: 'Noir', q: '  fox ', page: 2, size: 50, sort: 'label', order: 'asc' });
  const list = apiParams(s, { page: s.page, size: 50 });
  assert.equal(list.get('status'), 'running,uploading');
  assert.equal(list.get('configuration'), 'Noir');
  assert.equal(list.get('q'), 'fox');
  assert.equal(list.get('page'), '2');
  assert.equal(list.get('page_size'), '50');
  assert.equal(list.get('sort'), 'label');
  assert.equal(list.get('order'), 'asc');
  const chunk = apiParams(s, { offset: 200, limit: 100 });
  assert.equal(chunk.get('offset'), '200');
  assert.equal(chunk.get('limit'), '100');
  assert.equal(chunk.get('page'), null);
  const stats = apiParams(s, null);
  assert.equal(stats.get('status'), null);
  assert.equal(stats.get('sort'), null);
  assert.equal(stats.get('q'), 'fox');
});

test('dates become local-day instants; "to" includes its whole day', () => {
  assert.equal(localDayStart('2024-01-15'), new Date(2024, 0, 15).toISOString());
  assert.equal(localDayStart('2024-01-31', 1), new Date(2024, 1, 1).toISOString());
  const body = filterBody(state({ from: '2024-01-15', to: '2024-01-15' }));
  assert.equal(Date.parse(body.to) - Date.parse(body.from), 24 * 3600 * 1000);
  assert.equal(datesInverted(state({ from: '2024-02-01', to: '2024-01-01' })), true);
  assert.equal(datesInverted(state({ from: '2024-01-01', to: '2024-01-01' })), false);
});

test('bulk filter body has only the active filters', () => {
  assert.deepEqual(filterBody(defaultState()), {});
  assert.deepEqual(filterBody(state({ status: ['failed'], q: 'x', configuration: 'C' })), { status: ['failed'], q: 'x', configuration: ['C'] });
});

test('presets keep calendar days and come back as the same filters', () => {
  const s = state({ status: ['running', 'failed'], from: '2024-03-01', to: '2024-03-09', configuration: 'Noir', q: 'cat' });
  const saved = presetFilter(s);
  assert.deepEqual(saved, { status: ['failed', 'running', 'uploading'], from: '2024-03-01', to: '2024-03-09', configuration: ['Noir'], q: 'cat' });
  const restored = applyFilter(state({ page: 5, size: 100 }), saved);
  assert.equal(filterKey(restored), filterKey(s));
  assert.equal(restored.page, 1);
  assert.equal(restored.size, 100);
});

test('chips name each active filter and clear one at a time', () => {
  const s = state({ status: ['completed', 'failed'], from: '2024-01-01', q: 'fox', page: 4 });
  assert.equal(activeCount(s), 3);
  assert.deepEqual(chips(s, JOBS_COPY).map((c) => c.label), ['Status: Completed, Failed', 'From Jan 1, 2024', 'Search: “fox”']);
  const without = clearFilter(s, 'status');
  assert.deepEqual(without.status, []);
  assert.equal(without.page, 1);
  assert.equal(activeCount(clearFilter(s, 'all')), 0);
});

test('the filter key ignores paging and sort', () => {
  assert.equal(filterKey(state({ page: 3, sort: 'label' })), filterKey(defaultState()));
  assert.notEqual(filterKey(state({ q: 'a' })), filterKey(defaultState()));
});

test('sorting a new column picks a natural order; the same column flips', () => {
  assert.deepEqual(nextSort(defaultState(), 'created'), { sort: 'created', order: 'asc' });
  assert.deepEqual(nextSort(defaultState(), 'label'), { sort: 'label', order: 'asc' });
  assert.deepEqual(nextSort(defaultState(), 'images'), { sort: 'images', order: 'desc' });
});
