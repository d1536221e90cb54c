/**
 * The page's view state — filters, page, page size, sort — and its three outward forms:
 * the page's own query string (so a reload or a shared link shows the same view), the API's
 * query parameters (GET /api/jobs, GET /api/jobs/stats) and the API's filter object (bulk
 * operations, exports, presets). Pure: no DOM.
 *
 * Dates are calendar days in the person's time zone; the API gets the exact instants
 * (local midnight, and the next local midnight for "To", so that day is included).
 *
 * @module jobs/filter-state
 */

import { STATUS_FILTERS } from '../copy-jobs.js';

export const PAGE_SIZES = Object.freeze([25, 50, 100]);
/** The page size that loads every matching job into one scrolling, windowed table. */
export const SCROLL_SIZE = 'all';
/** Rows per request when scrolling (the API's largest page). */
export const CHUNK_SIZE = 100;
export const SORT_KEYS = Object.freeze(['created', 'label', 'status', 'duration', 'images']);
export const SEARCH_MAX = 200;

const STATUS_KEYS = STATUS_FILTERS.map((s) => s.key);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * @typedef {object} ViewState
 * @property {string[]} status  status filter keys (completed, failed, running, stopped, pending); [] = all
 * @property {string} from  'YYYY-MM-DD' or ''
 * @property {string} to  'YYYY-MM-DD' or ''
 * @property {string} configuration  a configuration name or ''
 * @property {string} q  search text
 * @property {number} page  1-based
 * @property {number | 'all'} size
 * @property {string} sort
 * @property {'asc' | 'desc'} order
 */

/** @returns {ViewState} */
export function defaultState() {
  return { status: [], from: '', to: '', configuration: '', q: '', page: 1, size: 25, sort: 'created', order: 'desc' };
}

/** A real calendar day in the form the date input uses, or ''. */
export function validDay(value) {
  const text = String(value ?? '').trim();
  if (!DAY.test(text)) return '';
  const [y, m, d] = text.split('-').map(Number);
  const date = new Date(y, m - 1, d);
  return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d ? text : '';
}

/** Status keys in the spec's order, known ones only, each once. */
export function normalizeStatuses(keys) {
  const wanted = new Set((keys ?? []).map((k) => String(k).trim().toLowerCase()));
  return STATUS_KEYS.filter((k) => wanted.has(k));
}

/**
 * Read the page's query string (unknown or malformed values fall back to the defaults).
 * @param {string | URLSearchParams} search
 * @returns {ViewState}
 */
export function parseQuery(search) {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const state = defaultState();
  state.status = normalizeStatuses(q.getAll('status').flatMap((v) => v.split(',')));
  state.from = validDay(q.get('from'));
  state.to = validDay(q.get('to'));
  if (datesInverted(state)) state.from = state.to = ''; // a link with an inverted range: no dates
  state.configuration = (q.get('config') ?? '').trim().slice(0, 100);
  state.q = (q.get('q') ?? '').slice(0, SEARCH_MAX);
  const page = Number(q.get('page'));
  state.page = Number.isInteger(page) && page >= 1 ? page : 1;
  const size = q.get('size');
  state.size = size === SCROLL_SIZE ? SCROLL_SIZE : PAGE_SIZES.includes(Number(size)) ? Number(size) : 25;
  const sort = q.get('sort') ?? '';
  state.sort = SORT_KEYS.includes(sort) ? sort : 'created';
  state.order = q.get('order') === 'asc' ? 'asc' : 'desc';
  return state;
}

/**
 * The page's query string for a state: only what differs from the defaults.
 * @param {ViewState} state
 * @returns {string} '' or '?…'
 */
export function toQuery(state) {
  const def = defaultState();
  const q = new URLSearchParams();
  if (state.status.length) q.set('status', normalizeStatuses(state.status).join(','));
  if (state.from) q.set('from', state.from);
  if (state.to) q.set('to', state.to);
  if (state.configuration) q.set('config', state.configuration);
  if (state.q.trim()) q.set('q', state.q.trim());
  if (state.page !== def.page && state.size !== SCROLL_SIZE) q.set('page', String(state.page));
  if (state.size !== def.size) q.set('size', String(state.size));
  if (state.sort !== def.sort) q.set('sort', state.sort);
  if (state.order !== def.order) q.set('order', state.order);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The API statuses the status keys mean (running includes uploading). */
export function apiStatuses(keys) {
  const out = [];
  for (const f of STATUS_FILTERS) if (keys.includes(f.key)) out.push(...f.api);
  return out;
}

/** The status keys for API status names (also the API's aliases pending and stopped). */
export function statusKeysFromApi(names) {
  const keys = new Set();
  for (const raw of names ?? []) {
    const name = String(raw).toLowerCase();
    const found = STATUS_FILTERS.find((f) => f.key === name || f.api.includes(name));
    if (found) keys.add(found.key);
  }
  return normalizeStatuses([...keys]);
}

/**
 * The instant a local calendar day starts, as ISO 8601 (UTC): what the API's `from` and
 * `to` take. `to` is exclusive on the server, so "To" sends the next day's start.
 * @param {string} day 'YYYY-MM-DD'
 * @param {number} [addDays]
 */
export function localDayStart(day, addDays = 0) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + addDays).toISOString();
}

/** Whether "From" is after "To" (the API would refuse it). */
export function datesInverted(state) {
  return Boolean(state.from && state.to && state.from > state.to);
}

/**
 * The filter as the API's JSON object (bulk operations and exports).
 * @param {ViewState} state
 * @param {{withStatus?: boolean}} [options]
 */
export function filterBody(state, { withStatus = true } = {}) {
  /** @type {Record<string, any>} */
  const body = {};
  if (withStatus && state.status.length) body.status = apiStatuses(state.status);
  if (state.from) body.from = localDayStart(state.from);
  if (state.to) body.to = localDayStart(state.to, 1);
  if (state.configuration) body.configuration = [state.configuration];
  if (state.q.trim()) body.q = state.q.trim();
  return body;
}

/**
 * Query parameters for GET /api/jobs (`paging` = {page, size} or {offset, limit}) or, with
 * `paging` null, GET /api/jobs/stats (status left out: the cards show every status).
 * `asOf`: the list's pin (a list answer's `as_of`), so that its pages do not shift while
 * new jobs arrive; '' for now.
 * @param {ViewState} state
 * @param {{page: number, size: number} | {offset: number, limit: number} | null} paging
 * @param {string} [asOf]
 * @returns {URLSearchParams}
 */
export function apiParams(state, paging, asOf = '') {
  const body = filterBody(state, { withStatus: paging !== null });
  const q = new URLSearchParams();
  if (body.status) q.set('status', body.status.join(','));
  if (body.from) q.set('from', body.from);
  if (body.to) q.set('to', body.to);
  if (body.configuration) q.set('configuration', body.configuration[0]);
  if (body.q) q.set('q', body.q);
  if (paging && 'page' in paging) {
    q.set('page', String(paging.page));
    q.set('page_size', String(paging.size));
  } else if (paging) {
    q.set('offset', String(paging.offset));
    q.set('limit', String(paging.limit));
  }
  if (paging) {
    q.set('sort', state.sort);
    q.set('order', state.order);
    if (asOf) q.set('as_of', asOf);
  }
  return q;
}

/**
 * A key that changes exactly when what the list is pinned to changes: the filters and the
 * sort (not the page or the page size, which read the same pinned list).
 * @param {ViewState} state
 */
export function pinKey(state) {
  return JSON.stringify([filterKey(state), state.sort, state.order]);
}

/**
 * What a preset keeps: the filter with calendar days (not instants), so it means the same
 * days wherever and whenever it is applied.
 * @param {ViewState} state
 */
export function presetFilter(state) {
  /** @type {Record<string, any>} */
  const filter = {};
  if (state.status.length) filter.status = apiStatuses(state.status);
  if (state.from) filter.from = state.from;
  if (state.to) filter.to = state.to;
  if (state.configuration) filter.configuration = [state.configuration];
  if (state.q.trim()) filter.q = state.q.trim();
  return filter;
}

/**
 * A state with a preset's (or any API filter object's) filters; paging back to page 1.
 * @param {ViewState} state
 * @param {Record<string, any>} filter
 * @returns {ViewState}
 */
export function applyFilter(state, filter) {
  const f = filter ?? {};
  const config = Array.isArray(f.configuration) ? f.configuration[0] : f.configuration;
  return {
    ...state,
    status: statusKeysFromApi(Array.isArray(f.status) ? f.status : f.status ? String(f.status).split(',') : []),
    from: validDay(String(f.from ?? '').slice(0, 10)),
    to: validDay(String(f.to ?? '').slice(0, 10)),
    configuration: String(config ?? ''),
    q: String(f.q ?? ''),
    page: 1,
  };
}

/** A key that changes exactly when the filters change (not paging or sort). */
export function filterKey(state) {
  return JSON.stringify([normalizeStatuses(state.status), state.from, state.to, state.configuration, state.q.trim()]);
}

/** How many filters are active (each kind counts once). */
export function activeCount(state) {
  return [state.status.length > 0, Boolean(state.from), Boolean(state.to), Boolean(state.configuration), Boolean(state.q.trim())]
    .filter(Boolean).length;
}

/**
 * The active filters as chips, each with the key that clears it.
 * @param {ViewState} state
 * @param {typeof import('../copy-jobs.js').JOBS_COPY} copy
 * @returns {{key: 'status' | 'from' | 'to' | 'configuration' | 'q', label: string}[]}
 */
export function chips(state, copy) {
  const out = [];
  if (state.status.length) {
    const labels = STATUS_FILTERS.filter((f) => state.status.includes(f.key)).map((f) => f.label);
    out.push({ key: 'status', label: copy.chipStatus(labels) });
  }
  if (state.from) out.push({ key: 'from', label: copy.chipFrom(state.from) });
  if (state.to) out.push({ key: 'to', label: copy.chipTo(state.to) });
  if (state.configuration) out.push({ key: 'configuration', label: copy.chipConfig(state.configuration) });
  if (state.q.trim()) out.push({ key: 'q', label: copy.chipSearch(state.q.trim()) });
  return /** @type {any} */ (out);
}

/**
 * The state without one filter (or every filter with `key` = 'all'); back to page 1.
 * @param {ViewState} state
 * @param {'status' | 'from' | 'to' | 'configuration' | 'q' | 'all'} key
 * @returns {ViewState}
 */
export function clearFilter(state, key) {
  const next = { ...state, page: 1 };
  if (key === 'all' || key === 'status') next.status = [];
  if (key === 'all' || key === 'from') next.from = '';
  if (key === 'all' || key === 'to') next.to = '';
  if (key === 'all' || key === 'configuration') next.configuration = '';
  if (key === 'all' || key === 'q') next.q = '';
  return next;
}

/**
 * The next sort when a column header is pressed: the same column flips its order, a new
 * column starts descending for numbers and dates, ascending for text.
 * @param {ViewState} state
 * @param {string} key
 */
export function nextSort(state, key) {
  if (state.sort === key) return { sort: key, order: state.order === 'asc' ? 'desc' : 'asc' };
  return { sort: key, order: key === 'label' || key === 'status' ? 'asc' : 'desc' };
}
