/**
 * Which jobs are selected: a set of ids kept across pages and filter changes, or "every job
 * the filter matches" (`matching` mode, for "Select all N matching"), plus the anchor that
 * Shift+click and Shift+arrow ranges start from. Pure: no DOM.
 *
 * @module jobs/selection
 */

/**
 * The ids from `fromId` to `toId` inclusive, in the order shown. With no anchor on screen,
 * just the target.
 * @param {string[]} order
 * @param {string | null} fromId
 * @param {string} toId
 * @returns {string[]}
 */
export function rangeIds(order, fromId, toId) {
  const b = order.indexOf(toId);
  if (b < 0) return [];
  const a = fromId === null ? -1 : order.indexOf(fromId);
  if (a < 0) return [toId];
  return a <= b ? order.slice(a, b + 1) : order.slice(b, a + 1);
}

/**
 * @typedef {{filter: Record<string, any>, count: number, key: string}} Matching
 *   the API filter object, how many jobs it matched when chosen, and the page's filter key
 */

/**
 * @param {{onChange?: () => void}} [options]
 */
export function createSelection({ onChange } = {}) {
  /** @type {Map<string, any>} id → what the page knows about the job (label, short id…) */
  const picked = new Map();
  /** @type {Matching | null} */
  let matching = null;
  /** @type {string | null} */
  let anchor = null;

  const changed = () => { if (onChange) onChange(); };

  const api = {
    /** How many jobs are selected (in matching mode: how many the filter matched). */
    get size() { return matching ? matching.count : picked.size; },
    /** @returns {'ids' | 'matching'} */
    get mode() { return matching ? 'matching' : 'ids'; },
    get matching() { return matching; },
    get anchor() { return anchor; },

    /** Whether a job shown in the table is selected (every shown job in matching mode). */
    has(id) { return matching !== null || picked.has(id); },

    /** @returns {string[]} the selected ids (ids mode) */
    ids() { return [...picked.keys()]; },
    info(id) { return picked.get(id); },

    /**
     * Tick or untick one job; it becomes the anchor.
     * @param {string} id
     * @param {any} info
     * @param {boolean} [on]  default: the opposite of now
     */
    toggle(id, info, on = !api.has(id)) {
      if (matching) return false; // the page leaves matching mode first (see narrow)
      if (on) picked.set(id, info ?? picked.get(id) ?? null);
      else picked.delete(id);
      anchor = id;
      changed();
      return on;
    },

    /**
     * Tick or untick many (header checkbox).
     * @param {Array<[string, any]>} entries
     * @param {boolean} on
     */
    setMany(entries, on) {
      if (matching && on) return;
      if (matching) matching = null;
      for (const [id, info] of entries) {
        if (on) picked.set(id, info ?? picked.get(id) ?? null);
        else picked.delete(id);
      }
      changed();
    },

    /**
     * Shift+click / Shift+arrow: every job from the anchor to `id` takes the state `on`
     * (the anchor's own state by default); the anchor stays.
     * @param {Array<[string, any]>} shown  the rows in the order shown
     * @param {string} id
     * @param {boolean} [on]
     * @returns {string[]} the ids in the range
     */
    selectRange(shown, id, on) {
      if (matching) return [];
      const order = shown.map(([key]) => key);
      const ids = rangeIds(order, anchor, id);
      const state = on ?? (anchor !== null && order.includes(anchor) ? picked.has(anchor) : true);
      const infos = new Map(shown);
      for (const key of ids) {
        if (state) picked.set(key, infos.get(key) ?? picked.get(key) ?? null);
        else picked.delete(key);
      }
      if (anchor === null || !order.includes(anchor)) anchor = id;
      changed();
      return ids;
    },

    setAnchor(id) { anchor = id; },

    /**
     * "Select all N matching": the bulk operations then send the filter, not ids.
     * @param {Matching} value
     */
    selectMatching(value) {
      matching = { ...value };
      picked.clear();
      changed();
    },

    /**
     * Leave matching mode keeping only `keep` (the rows shown, minus the one unticked).
     * @param {Array<[string, any]>} keep
     */
    narrow(keep) {
      matching = null;
      picked.clear();
      for (const [id, info] of keep) picked.set(id, info);
      changed();
    },

    /** Forget ids (deleted jobs) without leaving matching mode. */
    forget(ids) {
      let any = false;
      for (const id of ids) any = picked.delete(id) || any;
      if (any) changed();
    },

    /**
     * Matching mode: the filter matches `count` jobs now (jobs were deleted, or new ones
     * match). The toolbar and the confirmation name this count, and a bulk action expects
     * it: the person confirms the number they see.
     * @param {number} count
     */
    recount(count) {
      if (!matching || count === matching.count) return;
      matching = { ...matching, count: Math.max(0, count) };
      changed();
    },

    /** Update what is known about a selected job (a rename, a status change). */
    update(id, info) {
      if (picked.has(id)) picked.set(id, info);
    },

    clear() {
      const had = matching !== null || picked.size > 0;
      matching = null;
      picked.clear();
      anchor = null;
      if (had) changed();
      return had;
    },

    /**
     * What a bulk operation sends: {ids} or {filter, expected_count}.
     * @returns {{ids: string[]} | {filter: Record<string, any>, expected_count: number}}
     */
    body() {
      if (matching) return { filter: { ...matching.filter }, expected_count: matching.count };
      return { ids: [...picked.keys()] };
    },
  };
  return api;
}
