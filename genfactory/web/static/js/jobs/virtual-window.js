/**
 * The arithmetic of the windowed table: which rows are on screen (plus a margin), how tall
 * the spacers above and below them are, which chunks of rows must be loaded, and where to
 * scroll to bring a row into view. Rows have one fixed height. Pure: no DOM.
 *
 * @module jobs/virtual-window
 */

/**
 * @param {{scrollTop: number, viewportHeight: number, rowHeight: number, count: number,
 *          overscan?: number, offsetTop?: number}} view
 *   offsetTop: where the first row starts inside the scroller (below a sticky header)
 * @returns {{start: number, end: number, padTop: number, padBottom: number}}
 *   rows [start, end) are rendered; spacers fill the rest
 */
export function visibleRange({ scrollTop, viewportHeight, rowHeight, count, overscan = 8, offsetTop = 0 }) {
  const n = Math.max(0, Math.floor(count));
  if (n === 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const top = Math.max(0, scrollTop - offsetTop);
  const first = Math.min(n - 1, Math.floor(top / rowHeight));
  const shown = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(n, first + shown + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (n - end) * rowHeight };
}

/**
 * The chunks (of `size` rows) that cover rows [start, end).
 * @returns {number[]} chunk numbers (chunk k holds rows k·size … (k+1)·size − 1)
 */
export function chunksFor(start, end, size) {
  if (end <= start || size <= 0) return [];
  const out = [];
  for (let k = Math.floor(start / size); k <= Math.floor((end - 1) / size); k++) out.push(k);
  return out;
}

/**
 * The scrollTop that brings row `index` fully into view, or null when it already is.
 * @param {{index: number, rowHeight: number, scrollTop: number, viewportHeight: number, offsetTop?: number}} view
 */
export function revealScrollTop({ index, rowHeight, scrollTop, viewportHeight, offsetTop = 0 }) {
  const rowTop = offsetTop + index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  // The sticky header covers the first offsetTop pixels of the viewport.
  if (rowTop - offsetTop < scrollTop) return Math.max(0, rowTop - offsetTop);
  if (rowBottom > scrollTop + viewportHeight) return rowBottom - viewportHeight;
  return null;
}

/**
 * Chunks to drop from a cache of loaded chunks, furthest from the window first, so that at
 * most `keep` remain (memory stays flat however far one scrolls).
 * @param {Iterable<number>} loaded
 * @param {number} center the chunk at the middle of the window
 * @param {number} keep
 */
export function chunksToEvict(loaded, center, keep) {
  const list = [...loaded].sort((a, b) => Math.abs(b - center) - Math.abs(a - center) || b - a);
  return list.slice(0, Math.max(0, list.length - keep));
}
