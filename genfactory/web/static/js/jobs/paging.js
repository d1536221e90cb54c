/**
 * Page-number arithmetic for the pagination controls. Pure: no DOM.
 *
 * @module jobs/paging
 */

/** Pages for `total` rows of `size` (at least 1, so "Page 1 of 1" when nothing matches). */
export function pageCount(total, size) {
  return Math.max(1, Math.ceil(Math.max(0, total) / Math.max(1, size)));
}

/** A page number kept within 1…pages. */
export function clampPage(page, pages) {
  const n = Math.floor(Number(page));
  if (!Number.isFinite(n)) return 1;
  return Math.min(Math.max(1, n), Math.max(1, pages));
}

/**
 * The page buttons to show: the first, the last, and the current one with `around`
 * neighbours on each side; gaps are '…'. Always at most 2·around + 5 items.
 * @param {number} current
 * @param {number} pages
 * @param {number} [around]
 * @returns {Array<number | '…'>}
 */
export function pageList(current, pages, around = 1) {
  const last = Math.max(1, pages);
  const page = clampPage(current, last);
  const width = 2 * around + 5;
  if (last <= width) return Array.from({ length: last }, (_, i) => i + 1);
  let lo = Math.max(2, page - around);
  let hi = Math.min(last - 1, page + around);
  // Keep the count of items constant near the ends.
  if (page - around <= 3) { lo = 2; hi = width - 2; }
  if (page + around >= last - 2) { lo = last - (width - 3); hi = last - 1; }
  const out = /** @type {Array<number | '…'>} */ ([1]);
  if (lo > 2) out.push('…');
  for (let p = lo; p <= hi; p++) out.push(p);
  if (hi < last - 1) out.push('…');
  out.push(last);
  return out;
}

/** "Showing 26–50 of 156": the rows [from, to] of a page (1-based; 0–0 when empty). */
export function pageSpan(page, size, total) {
  if (total <= 0) return { from: 0, to: 0 };
  const from = (page - 1) * size + 1;
  return { from: Math.min(from, total), to: Math.min(total, page * size) };
}
