/**
 * The job table: one row per job (select, Job ID, label, status, date, duration, images
 * with their quality-check counts, actions), built from text nodes only, with search
 * matches in <mark>.
 *
 * Rows come from a {@link RowSource}. A page of ≤ 100 jobs is rendered whole; in the
 * scrolling view (every matching job) only the rows in view are in the DOM, between two
 * spacer rows that keep the scrollbar true (jobs/virtual-window.js), so 1,000 or 1,000,000
 * rows scroll the same. Rows are kept by job id and updated in place (live updates never
 * rebuild a row, so focus and an open label editor survive).
 *
 * Keyboard: one row is the tab stop (roving tabindex); ↑ ↓ Home End PageUp PageDown move,
 * Shift extends the selection, Space selects, Enter opens, F2 renames, Shift+F10 or the
 * context-menu key opens the actions menu.
 *
 * @module jobs/table
 */

import { JOBS_COPY as T } from '../copy-jobs.js';
import { h, setText } from '../lib/dom.js';
import { ACTIVE_STATUSES } from './format.js';
import { createLabelEditor } from './label-editor.js';
import { qcCounts } from './live-edits.js';
import {
  buildJobRow, COLUMNS, fillDurationCell, fillJobRow, fillLiveCells, placeholderRow, setRowSelected,
} from './table-row.js';
import { revealScrollTop, visibleRange } from './virtual-window.js';

export const ROW_HEIGHT = 56;
const PAGE_STEP = 10;
const ROW_ERROR_MS = 8000;

/**
 * The image cell's QC counts after the count ("12 · 10 ✓ 2 ✗"), read as "10 passed, 2
 * failed quality checks"; hidden while the job has no images.
 * @param {HTMLElement} tr
 * @param {any} job
 */
export function fillQcCounts(tr, job) {
  const cell = tr.querySelector('.jcell-images');
  if (!cell) return;
  let box = /** @type {HTMLElement | null} */ (cell.querySelector('.jqc'));
  const counts = qcCounts(job);
  if (!counts) {
    if (box) box.hidden = true;
    return;
  }
  if (!box) {
    box = h('span', { class: 'jqc' },
      h('span', { class: 'jqc__passed', 'aria-hidden': 'true' }),
      h('span', { class: 'jqc__failed', 'aria-hidden': 'true' }),
      h('span', { class: 'visually-hidden' }));
    cell.append(box);
  }
  box.hidden = false;
  const [passed, failed, spoken] = /** @type {HTMLElement[]} */ ([...box.children]);
  setText(passed, T.qcPassed(counts.passed));
  setText(failed, T.qcFailed(counts.failed));
  passed.classList.toggle('is-zero', counts.passed === 0);
  failed.classList.toggle('is-zero', counts.failed === 0);
  setText(spoken, T.qcCounts(counts.passed, counts.failed));
}

/**
 * @typedef {object} RowSource
 * @property {boolean} virtual  render only the rows in view (scrolling view)
 * @property {number} count  rows in all (loaded or not)
 * @property {(index: number) => any | null} get  the job at a row, null while not loaded
 * @property {(id: string) => number} indexOf  -1 when not loaded
 * @property {(id: string) => any} highlights  {label, prompt, id} match ranges, or null
 * @property {(start: number, end: number) => void} [ensure]  load rows [start, end)
 */

/**
 * @param {{
 *   table: HTMLTableElement, body: HTMLElement, scroller: HTMLElement, selectPage: HTMLInputElement,
 *   selection: ReturnType<typeof import('./selection.js').createSelection>,
 *   onOpen: (id: string) => void,
 *   onRename: (id: string, label: string) => void,
 *   onMenu: (id: string, at: HTMLElement | {x: number, y: number}, returnFocus: HTMLElement) => void,
 *   onToggle: (id: string, on: boolean, range: boolean) => void,
 *   onSelectShown: (on: boolean) => void,
 *   onSort: (key: string) => void,
 *   covered?: (el: HTMLElement) => number,
 * }} options
 *   covered: how many px of `el` the sticky batch toolbar hides (a focused row scrolls clear)
 */
export function createTable(options) {
  const { table, body, scroller, selectPage, selection } = options;
  const thead = /** @type {HTMLElement} */ (table.tHead);

  /** @type {RowSource} */
  let source = { virtual: false, count: 0, get: () => null, indexOf: () => -1, highlights: () => null };
  /** id (or `~index` for a row still loading) → its <tr> */
  const rows = new Map();
  const topSpacer = spacer();
  const bottomSpacer = spacer();
  let activeIndex = 0;
  /** @type {string | null} */
  let activeId = null;
  /** @type {Map<string, {message: string, until: number}>} */
  const rowErrors = new Map();
  let frame = 0;

  function spacer() {
    const td = h('td', { colspan: String(COLUMNS) });
    const tr = h('tr', { class: 'jobs-spacer', 'aria-hidden': 'true' }, td);
    return tr;
  }

  // ---- rows --------------------------------------------------------------------------

  /** Fill (or refill) a row from its job (the label stays while its editor is open). */
  function fillRow(tr, job, index) {
    const problem = rowErrors.get(job.id);
    fillJobRow(tr, job, index, {
      marks: source.highlights(job.id),
      error: problem && problem.until > Date.now() ? problem.message : null,
      selected: selection.has(job.id),
    });
    fillQcCounts(tr, job);
  }

  const fillDuration = fillDurationCell;

  function syncRowSelection(tr, id) {
    setRowSelected(tr, selection.has(id));
  }

  // ---- rendering ---------------------------------------------------------------------

  function headerHeight() {
    return thead.getBoundingClientRect().height || 40;
  }

  function windowRange() {
    if (!source.virtual) return { start: 0, end: source.count, padTop: 0, padBottom: 0 };
    const header = headerHeight();
    return visibleRange({
      scrollTop: scroller.scrollTop,
      viewportHeight: Math.max(ROW_HEIGHT, scroller.clientHeight - header),
      rowHeight: ROW_HEIGHT,
      count: source.count,
      overscan: 8,
    });
  }

  /** Put exactly the rows of the window in the tbody, moving no row that stays. */
  function render() {
    frame = 0;
    const { start, end, padTop, padBottom } = windowRange();
    if (source.virtual && source.ensure) source.ensure(start, end);
    const focused = /** @type {HTMLElement | null} */ (document.activeElement);
    const hadFocus = focused !== null && body.contains(focused);
    /** @type {HTMLElement[]} */
    const wanted = [];
    const keep = new Set();
    for (let i = start; i < end; i++) {
      const job = source.get(i);
      const key = job ? job.id : `~${i}`;
      let tr = rows.get(key);
      if (!tr) {
        tr = job ? buildJobRow(job) : placeholderRow(i);
        rows.set(key, tr);
        if (job) fillRow(tr, job, i);
      } else if (job) {
        if (tr.getAttribute('aria-rowindex') !== String(i + 2)) tr.setAttribute('aria-rowindex', String(i + 2));
      }
      if (!job) tr.setAttribute('aria-rowindex', String(i + 2));
      keep.add(key);
      wanted.push(tr);
    }
    for (const [key, tr] of rows) {
      if (!keep.has(key)) {
        if (key === labels.id) continue; // keep the editor alive off-screen
        tr.remove();
        rows.delete(key);
      }
    }
    if (topSpacer.parentElement !== body || body.firstElementChild !== topSpacer) body.prepend(topSpacer);
    let at = /** @type {Element | null} */ (topSpacer.nextElementSibling);
    for (const tr of wanted) {
      if (at === tr) at = at.nextElementSibling;
      else body.insertBefore(tr, at);
    }
    // Anything after the window (skeletons of the template, an off-screen editor row)
    // moves after the bottom spacer or goes.
    while (at && at !== bottomSpacer) {
      const next = at.nextElementSibling;
      if (!(labels.id !== null && at === rows.get(labels.id))) at.remove();
      at = next;
    }
    body.append(bottomSpacer);
    setSpacer(topSpacer, padTop);
    setSpacer(bottomSpacer, padBottom);
    table.setAttribute('aria-rowcount', String(source.count + 1));
    syncTabStop();
    syncHeaderCheck();
    if (hadFocus && focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }

  function setSpacer(tr, px) {
    tr.hidden = px <= 0;
    const td = /** @type {HTMLElement} */ (tr.firstElementChild);
    const value = `${px}px`;
    if (td.style.height !== value) td.style.height = value; // CSSOM: allowed by the CSP
  }

  function schedule() {
    if (!frame) frame = window.requestAnimationFrame(render);
  }

  // ---- focus -------------------------------------------------------------------------

  function rowAt(index) {
    const job = source.get(index);
    return rows.get(job ? job.id : `~${index}`) ?? null;
  }

  function controls(tr) {
    return /** @type {HTMLElement[]} */ ([...tr.querySelectorAll('[data-role]')]);
  }

  /** The active row is the table's one tab stop (with its controls). */
  function syncTabStop() {
    if (activeId !== null) {
      const i = source.indexOf(activeId);
      if (i >= 0) activeIndex = i;
    }
    activeIndex = Math.max(0, Math.min(activeIndex, Math.max(0, source.count - 1)));
    let stop = rowAt(activeIndex);
    if (!stop) stop = /** @type {HTMLElement | null} */ (body.querySelector('tr.jrow:not(.jrow--skeleton)'));
    for (const tr of body.querySelectorAll('tr.jrow')) {
      const on = tr === stop;
      /** @type {HTMLElement} */ (tr).tabIndex = on ? 0 : -1;
      for (const el of controls(/** @type {HTMLElement} */ (tr))) el.tabIndex = on ? 0 : -1;
    }
  }

  /**
   * Make a row the active one; scroll it into view and focus it.
   * @param {number} index
   * @param {{focus?: boolean}} [opts]
   */
  function activate(index, { focus = true } = {}) {
    if (source.count === 0) return;
    activeIndex = Math.max(0, Math.min(index, source.count - 1));
    activeId = source.get(activeIndex)?.id ?? null;
    if (source.virtual) {
      const top = revealScrollTop({
        index: activeIndex, rowHeight: ROW_HEIGHT, scrollTop: scroller.scrollTop,
        viewportHeight: scroller.clientHeight, offsetTop: headerHeight(),
      });
      if (top !== null) scroller.scrollTop = top;
      render();
    } else syncTabStop();
    const tr = rowAt(activeIndex);
    if (focus && tr) {
      tr.focus({ preventScroll: source.virtual });
      // The sticky batch toolbar must not hide the row just focused (WCAG 2.4.11).
      const hidden = options.covered?.(tr) ?? 0;
      if (hidden > 0) window.scrollBy(0, Math.ceil(hidden) + 8);
    }
  }

  function indexOfRow(tr) {
    if (tr.dataset.id) return source.indexOf(tr.dataset.id);
    return Number(tr.dataset.index ?? -1);
  }

  // ---- selection ---------------------------------------------------------------------

  function syncHeaderCheck() {
    if (source.virtual) {
      // The scrolling view lists every matching job: its header box stands for all of
      // them (matching mode), never for the few rows drawn at the moment.
      selectPage.checked = selection.mode === 'matching';
      selectPage.indeterminate = !selectPage.checked && selection.size > 0;
      selectPage.disabled = source.count === 0;
      return;
    }
    const ids = shownIds();
    const on = ids.filter((id) => selection.has(id)).length;
    selectPage.checked = ids.length > 0 && on === ids.length;
    selectPage.indeterminate = on > 0 && on < ids.length;
    selectPage.disabled = ids.length === 0;
  }

  /** The ids of the jobs shown (a page) or loaded (the scrolling view), in order. */
  function shownIds() {
    const out = [];
    if (!source.virtual) {
      for (let i = 0; i < source.count; i++) {
        const job = source.get(i);
        if (job) out.push(job.id);
      }
      return out;
    }
    for (const tr of body.querySelectorAll('tr.jrow[data-id]')) out.push(/** @type {HTMLElement} */ (tr).dataset.id ?? '');
    return out;
  }

  function syncSelection() {
    for (const [key, tr] of rows) if (!key.startsWith('~')) syncRowSelection(tr, key);
    syncHeaderCheck();
  }

  // ---- label editing -----------------------------------------------------------------

  /** The rename was started with F2 on the row: focus goes back to the row, where Enter
   *  opens the job (on the label, Enter would start renaming again). */
  let editFromRow = false;

  const labels = createLabelEditor({
    onEnd: (id, { refocus, save, value }) => {
      const tr = rows.get(id);
      const index = source.indexOf(id);
      const job = index >= 0 ? source.get(index) : null;
      if (tr && job) fillRow(tr, job, index);
      syncTabStop();
      if (refocus) {
        const target = editFromRow ? tr : tr?.querySelector('[data-role="label"]');
        /** @type {HTMLElement | null | undefined} */ (target)?.focus();
      }
      editFromRow = false;
      if (save) options.onRename(id, value);
    },
  });

  /** @param {string} id @param {{fromRow?: boolean}} [opts] */
  function startEdit(id, { fromRow = false } = {}) {
    const tr = rows.get(id);
    const index = source.indexOf(id);
    const job = index >= 0 ? source.get(index) : null;
    if (tr && job) {
      labels.start(tr, job);
      editFromRow = fromRow;
    }
  }

  // ---- events ------------------------------------------------------------------------

  body.addEventListener('click', (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const tr = /** @type {HTMLElement | null} */ (target.closest('tr.jrow'));
    if (!tr || !tr.dataset.id) return;
    const id = tr.dataset.id;
    const role = target.closest('[data-role]')?.getAttribute('data-role');
    activeIndex = indexOfRow(tr);
    activeId = id;
    syncTabStop();
    switch (role) {
      case 'check': {
        const box = /** @type {HTMLInputElement} */ (target.closest('[data-role]'));
        options.onToggle(id, box.checked, event.shiftKey);
        return;
      }
      case 'open': options.onOpen(id); return;
      case 'label': startEdit(id); return;
      case 'menu': {
        const button = /** @type {HTMLElement} */ (target.closest('[data-role]'));
        options.onMenu(id, button, button);
        return;
      }
      case 'label-input': return;
      default:
        if (event.shiftKey) options.onToggle(id, true, true);
        else if (event.ctrlKey || event.metaKey) options.onToggle(id, !selection.has(id), false);
        tr.focus({ preventScroll: true });
    }
  });

  body.addEventListener('contextmenu', (event) => {
    const tr = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest('tr.jrow'));
    if (!tr?.dataset.id || /** @type {HTMLElement} */ (event.target).closest('input')) return;
    event.preventDefault();
    activeIndex = indexOfRow(tr);
    activeId = tr.dataset.id;
    syncTabStop();
    options.onMenu(tr.dataset.id, { x: event.clientX, y: event.clientY }, tr);
  });

  body.addEventListener('keydown', (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const tr = /** @type {HTMLElement | null} */ (target.closest('tr.jrow'));
    if (!tr || target.matches('input[type="text"]')) return;
    const index = indexOfRow(tr);
    const id = tr.dataset.id ?? null;
    const onRow = target === tr;
    let next = null;
    switch (event.key) {
      case 'ArrowDown': next = index + 1; break;
      case 'ArrowUp': next = index - 1; break;
      case 'PageDown': next = index + PAGE_STEP; break;
      case 'PageUp': next = index - PAGE_STEP; break;
      case 'Home': if (onRow) next = 0; break;
      case 'End': if (onRow) next = source.count - 1; break;
      case ' ':
        if (onRow && id) {
          event.preventDefault();
          options.onToggle(id, event.shiftKey ? true : !selection.has(id), event.shiftKey);
        }
        return;
      case 'Enter':
        if (onRow && id) {
          event.preventDefault();
          options.onOpen(id);
        }
        return;
      case 'F2':
        if (id) {
          event.preventDefault();
          startEdit(id, { fromRow: onRow });
        }
        return;
      case 'ContextMenu':
      case 'F10':
        if (id && (event.key === 'ContextMenu' || event.shiftKey)) {
          event.preventDefault();
          options.onMenu(id, /** @type {HTMLElement} */ (tr.querySelector('[data-role="menu"]')), tr);
        }
        return;
      default:
        return;
    }
    if (next === null) return;
    event.preventDefault();
    const clamped = Math.max(0, Math.min(next, source.count - 1));
    activate(clamped);
    if (event.shiftKey) {
      const job = source.get(clamped);
      if (job) options.onToggle(job.id, true, true);
    }
  });

  selectPage.addEventListener('change', () => options.onSelectShown(selectPage.checked));

  thead.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-sort]');
    if (button) options.onSort(/** @type {HTMLElement} */ (button).dataset.sort ?? 'created');
  });

  scroller.addEventListener('scroll', () => { if (source.virtual) schedule(); }, { passive: true });
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => { if (source.virtual) schedule(); }).observe(scroller);
  }

  // ---- public ------------------------------------------------------------------------

  return {
    /**
     * Show a new set of rows (a new page, new filters, the scrolling view).
     * @param {RowSource} next
     * @param {{keepScroll?: boolean}} [opts]
     */
    setSource(next, { keepScroll = false } = {}) {
      if (labels.id !== null && next.indexOf(labels.id) < 0) labels.finish(false, { refocus: false });
      source = next;
      scroller.classList.toggle('is-virtual', next.virtual);
      if (!keepScroll) {
        scroller.scrollTop = 0;
        if (activeId === null || next.indexOf(activeId) < 0) {
          activeIndex = 0;
          activeId = null;
        }
      }
      // Rows still shown are refilled (highlights change); render() drops the others, after
      // it has read the scroll position (removing rows first would make the browser clamp it).
      for (const [key, tr] of rows) {
        const i = key.startsWith('~') ? -1 : next.indexOf(key);
        const job = i >= 0 ? next.get(i) : null;
        if (job && !(key === labels.id)) fillRow(tr, job, i);
      }
      table.removeAttribute('aria-busy');
      render();
    },
    /** Re-render the window (rows arrived for the scrolling view). */
    refresh() {
      const focused = /** @type {HTMLElement | null} */ (document.activeElement);
      const refocus = focused?.matches('tr.jrow--loading') && body.contains(focused) ? Number(focused.dataset.index) : -1;
      render(); // loaded rows replace their placeholders
      if (refocus >= 0 && document.activeElement !== rowAt(refocus)) rowAt(refocus)?.focus({ preventScroll: true });
    },
    /** A job changed (live event, rename): refill its row if it is rendered. */
    updateJob(job) {
      const tr = rows.get(job.id);
      const index = source.indexOf(job.id);
      if (tr && index >= 0 && labels.id !== job.id) fillRow(tr, job, index);
      else if (tr && labels.id === job.id) { // keep the editor
        fillLiveCells(tr, job);
        fillQcCounts(tr, job);
      }
    },
    /** Show an error under a row's label for a few seconds (a failed rename). */
    showRowError(id, message) {
      rowErrors.set(id, { message, until: Date.now() + ROW_ERROR_MS });
      const index = source.indexOf(id);
      const job = index >= 0 ? source.get(index) : null;
      const tr = rows.get(id);
      if (tr && job) fillRow(tr, job, index);
      window.setTimeout(() => {
        const problem = rowErrors.get(id);
        if (!problem || problem.until > Date.now()) return;
        rowErrors.delete(id);
        const i = source.indexOf(id);
        const current = i >= 0 ? source.get(i) : null;
        const row = rows.get(id);
        if (row && current && labels.id !== id) fillRow(row, current, i);
      }, ROW_ERROR_MS + 50);
    },
    /** Tick the durations of running jobs. */
    tick() {
      for (const [key, tr] of rows) {
        if (key.startsWith('~') || !ACTIVE_STATUSES.has(tr.dataset.status ?? '')) continue;
        const i = source.indexOf(key);
        const job = i >= 0 ? source.get(i) : null;
        if (job) fillDuration(tr, job);
      }
    },
    syncSelection,
    shownIds,
    /** Whether the table is the scrolling view of every matching job (not a page). */
    get virtual() { return source.virtual; },
    /** [id, info] pairs of the shown jobs, for selection ranges. */
    shownEntries() {
      return shownIds().map((id) => {
        const i = source.indexOf(id);
        return /** @type {[string, any]} */ ([id, i >= 0 ? source.get(i) : null]);
      });
    },
    /** Mark the sorted column (aria-sort). */
    setSort(key, order) {
      for (const th of thead.querySelectorAll('th[aria-sort]')) {
        const button = th.querySelector('button[data-sort]');
        const on = /** @type {HTMLElement | null} */ (button)?.dataset.sort === key;
        th.setAttribute('aria-sort', on ? (order === 'asc' ? 'ascending' : 'descending') : 'none');
        button?.setAttribute('aria-label', T.sortBy((button.textContent ?? '').trim()));
      }
    },
    setBusy(busy) {
      if (busy) table.setAttribute('aria-busy', 'true');
      else table.removeAttribute('aria-busy');
    },
    focusActive() { activate(activeIndex); },
    startEdit,
    get editing() { return labels.id; },
    /** The row element of a job, when rendered. */
    rowOf(id) { return rows.get(id) ?? null; },
  };
}
