/**
 * Search matches shown in the text: the API says where (ranges of UTF-16 code units, end
 * exclusive); the text is split into plain and marked parts and built as text nodes and
 * <mark> elements, never as HTML.
 *
 * @module jobs/highlight
 */

/**
 * Split `text` by match ranges (overlapping or unsorted ranges are merged; out-of-range
 * parts are ignored).
 * @param {string} text
 * @param {Array<[number, number]> | null | undefined} ranges
 * @returns {{text: string, mark: boolean}[]}
 */
export function splitByRanges(text, ranges) {
  const value = String(text ?? '');
  const clean = (ranges ?? [])
    .filter((r) => Array.isArray(r) && r.length === 2 && Number.isFinite(r[0]) && Number.isFinite(r[1]))
    .map(([a, b]) => [Math.max(0, Math.min(a, value.length)), Math.max(0, Math.min(b, value.length))])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  /** @type {Array<[number, number]>} */
  const merged = [];
  for (const [a, b] of clean) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  const parts = [];
  let at = 0;
  for (const [a, b] of merged) {
    if (a > at) parts.push({ text: value.slice(at, a), mark: false });
    parts.push({ text: value.slice(a, b), mark: true });
    at = b;
  }
  if (at < value.length || parts.length === 0) parts.push({ text: value.slice(at), mark: false });
  return parts;
}

/**
 * Put `text` into `el` with its matches in <mark>: text nodes only.
 * @param {HTMLElement} el
 * @param {string} text
 * @param {Array<[number, number]> | null | undefined} ranges
 */
export function setHighlighted(el, text, ranges) {
  const parts = splitByRanges(text, ranges);
  if (parts.length === 1 && !parts[0].mark) {
    if (el.childElementCount || el.textContent !== parts[0].text) el.textContent = parts[0].text;
    return;
  }
  el.replaceChildren(...parts.map((p) => {
    if (!p.mark) return document.createTextNode(p.text);
    const mark = document.createElement('mark');
    mark.textContent = p.text;
    return mark;
  }));
}
