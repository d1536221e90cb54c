/**
 * The rows of the scrolling view ("All (scroll)"): every job the filters match, loaded on
 * demand in chunks of 100 as the window reaches them (GET /api/jobs with offset/limit), and
 * forgotten again far from the window, so memory stays flat whether 1,000 or 1,000,000 jobs
 * match. It is a {@link import('./table.js').RowSource} with `virtual: true`: the table
 * renders only the rows in view.
 *
 * @module jobs/virtual-list
 */

import { apiParams, CHUNK_SIZE } from './filter-state.js';
import { jobsApi } from './api.js';
import { chunksFor, chunksToEvict } from './virtual-window.js';

/** Chunks kept in memory (4,000 rows). */
export const KEEP_CHUNKS = 40;

/**
 * Every chunk reads the list as of one moment (`asOf`, the pin: given, or the first
 * answer's `as_of`), so that jobs arriving while the person scrolls never shift the rows of
 * chunks still to load (a row twice, at a chunk's edge).
 * @param {import('./filter-state.js').ViewState} state
 * @param {{onLoaded: () => void, onError: (error: unknown) => void, asOf?: string}} callbacks
 */
export function createVirtualList(state, { onLoaded, onError, asOf = '' }) {
  /** @type {Map<number, any>} row index → job */
  const rows = new Map();
  /** @type {Map<string, number>} job id → row index */
  const index = new Map();
  /** @type {Map<string, any>} job id → highlight ranges */
  const marks = new Map();
  /** @type {Map<number, 'loading' | 'loaded'>} */
  const chunks = new Map();
  let count = 0;
  let closed = false;
  let center = 0;

  function drop(k) {
    for (let i = k * CHUNK_SIZE; i < (k + 1) * CHUNK_SIZE; i++) {
      const job = rows.get(i);
      if (!job) continue;
      rows.delete(i);
      if (index.get(job.id) === i) {
        index.delete(job.id);
        marks.delete(job.id);
      }
    }
    chunks.delete(k);
  }

  /** @returns {Promise<void>} */
  async function load(k) {
    chunks.set(k, 'loading');
    let page;
    try {
      page = await jobsApi.list(apiParams(state, { offset: k * CHUNK_SIZE, limit: CHUNK_SIZE }, asOf));
    } catch (error) {
      if (closed) return;
      chunks.delete(k);
      onError(error);
      return;
    }
    if (closed) return;
    if (!asOf) asOf = page.as_of ?? '';
    count = page.total;
    page.items.forEach((job, i) => {
      const at = k * CHUNK_SIZE + i;
      const before = rows.get(at);
      if (before && index.get(before.id) === at) index.delete(before.id);
      rows.set(at, job);
      index.set(job.id, at);
      if (page.highlights?.[job.id]) marks.set(job.id, page.highlights[job.id]);
    });
    chunks.set(k, 'loaded');
    for (const old of chunksToEvict([...chunks.keys()].filter((c) => chunks.get(c) === 'loaded'), center, KEEP_CHUNKS)) drop(old);
    onLoaded();
  }

  return {
    virtual: true,
    get count() { return count; },
    /** The moment every chunk is read as of ('' until the first answer). */
    get asOf() { return asOf; },
    get: (i) => rows.get(i) ?? null,
    indexOf: (id) => index.get(id) ?? -1,
    highlights: (id) => marks.get(id) ?? null,
    /** Load what the window [start, end) needs. */
    ensure(start, end) {
      center = Math.floor((start + end) / 2 / CHUNK_SIZE);
      for (const k of chunksFor(start, Math.min(end, Math.max(count, CHUNK_SIZE)), CHUNK_SIZE)) {
        if (!chunks.has(k)) load(k);
      }
    },
    /** The first chunk: it says how many rows there are. */
    start: () => load(0),
    close() { closed = true; },
    /** Forget everything loaded (live changes): the window reloads what it shows. */
    invalidate() {
      for (const k of [...chunks.keys()]) if (chunks.get(k) === 'loaded') chunks.delete(k);
    },
  };
}
