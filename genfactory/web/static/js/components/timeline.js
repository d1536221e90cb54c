/**
 * The event log table: one row per event (time, stage, message, percent, preview icon),
 * at most `maxRows` rows in the DOM however long the job runs (older rows are dropped
 * and counted in a note), rows added in one batch per animation frame, and keyboard
 * navigation with a roving tabindex (↑ ↓ Home End PageUp PageDown).
 *
 * Each row carries `data-seq`; the page never renders a seq twice. Live events pushed
 * while the timeline is held (until the page has loaded the history rows) wait, so rows
 * are always built in seq order and each row's stage is the one the job was in.
 *
 * With `loadEarlier`, a "Load earlier events" button next to the summary fetches the page
 * of events before the oldest row (one page of `maxRows` at a time, until seq 1) and prepends
 * it; each load raises the row cap to what is shown plus a page of new events, so the DOM
 * stays bounded by what the person asked to see. A status region says what was loaded.
 *
 * The time column shows the time of day; the first row, and each row where the local day
 * changes from the row above it, also carries the date ("Dec 7, 2026"): a log that spans
 * midnight, or is read days later, says when it happened.
 *
 * A big batch (the history, up to 200 rows) builds only its newest rows at once, about
 * what the log's scroll box shows; the older ones follow right after the frame that paints
 * them. The first rows go in without measuring the scroll box (it starts at the bottom):
 * the page becomes interactive without a forced layout of the whole log.
 *
 * @module components/timeline
 */

import { COPY, STATUS_LABELS, formatPercent } from '../copy.js';
import { h, icon, setText } from '../lib/dom.js';
import { clockTime, localDay, longDay } from '../lib/format.js';
import { describeEvent } from '../lib/job-model.js';

export const MAX_ROWS = 200;
const PAGE = 10;
/** Rows of a big batch built at once: the log shows ~14 (420 px), this leaves a margin. */
export const FIRST_ROWS = 40;
/** The older rows of a big batch come right after the next frame, or after this long
 *  where no frame comes (a background tab), in ms. */
const BACKLOG_WAIT_MS = 250;

/**
 * The date each row shows above its time: on the first row and wherever the local day
 * changes from the row before ("Dec 7, 2026"); '' elsewhere.
 * @param {string[]} times  the rows' ISO times, in order
 */
export function dayLabels(times) {
  let previous = '';
  return times.map((time) => {
    const day = localDay(time);
    const label = dayLabel(day, previous);
    if (day) previous = day;
    return label;
  });
}

/** A row's date mark: its day, unless the row before is of the same day (or it has none). */
const dayLabel = (day, previousDay) => (day && day !== previousDay ? longDay(day) : '');

/** The stage the job is in after `event`, given the stage it was in before. */
function stageAfter(event, stage) {
  if (event.type !== 'status' && event.type !== 'progress') return stage;
  return describeEvent(event, stage).stage ?? stage;
}

/** The stage to assume before the first event of a page that does not start at seq 1:
 *  that of its first progress event (a preview or log before it happened in that stage). */
function stageBefore(events) {
  if (events[0]?.seq === 1) return 'queued';
  const first = events.find((e) => e.type === 'progress' || e.type === 'status');
  if (first?.type === 'progress') return describeEvent(first, 'queued').stage ?? 'queued';
  return 'queued';
}

/**
 * @param {{table: HTMLTableElement, body: HTMLElement, wrap: HTMLElement, summary: HTMLElement,
 *          maxRows?: number, firstRows?: number, onActivate?: (event: any) => void,
 *          loadEarlier?: (after: number, limit: number) => Promise<any[]>}} options
 *   loadEarlier: the job's events with seq > after, at most limit (GET …/events)
 */
export function createTimeline({
  table, body, wrap, summary, maxRows: initialMaxRows = MAX_ROWS, firstRows = FIRST_ROWS, onActivate,
  loadEarlier,
}) {
  let maxRows = initialMaxRows;
  /** seqs rendered (or queued), so nothing is shown twice */
  const seen = new Set();
  /** @type {any[]} */
  let queue = [];
  let frame = 0;
  let stage = 'queued';
  let total = 0; // highest seq rendered
  let dropped = 0; // rows removed from the top
  let started = false;
  let held = true;
  /** @type {Map<number, any>} */
  const envelopes = new Map();
  /** Older rows of a big batch not built yet: [event, the stage before it], in seq order. */
  /** @type {Array<[any, string]>} */
  let backlog = [];
  /** Bumped to forget a scheduled backlog (a reset). */
  let backlogTicket = 0;
  /** Bumped to forget an earlier page on its way (a reset). */
  let earlierTicket = 0;
  let loadingEarlier = false;

  const earlier = loadEarlier ? createEarlierControls() : null;

  function createEarlierControls() {
    const button = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'btn btn--secondary btn--small log-earlier', hidden: true,
      'aria-controls': body.id || null,
      on: { click: () => showEarlier() },
    }, COPY.loadEarlier));
    const status = h('p', { class: 'visually-hidden', role: 'status' });
    // The space parts them where the summary's container is not a flex row (the modal).
    summary.after(' ', button, status);
    return { button, status };
  }

  /** Say what the last "Load earlier events" did (its status region). */
  function say(text) {
    if (earlier) setText(earlier.status, text);
  }

  function clearSkeleton() {
    if (started) return;
    started = true;
    body.replaceChildren();
  }

  /** @param {any} event @param {string} before the stage the job was in before it */
  function row(event, before) {
    const d = describeEvent(event, before);
    const label = STATUS_LABELS[d.stage] ?? d.stage ?? '';
    const tr = h('tr', {
      class: `log__row${d.tone ? ` log__row--${d.tone}` : ''}`,
      tabindex: '-1',
      'aria-rowindex': String(event.seq + 1),
      dataset: { seq: String(event.seq), type: event.type, day: localDay(event.time) },
    },
    h('td', { class: 'log__time' }, h('time', { datetime: event.time, text: clockTime(event.time) })),
    h('td', { class: 'log__stage', text: label }),
    h('td', { class: 'log__message', text: d.message }),
    h('td', { class: 'log__percent', text: d.percent === null ? '' : formatPercent(d.percent) }),
    h('td', { class: 'log__preview' }, d.preview ? [icon('image'), h('span', { class: 'visually-hidden', text: COPY.hasPreview })] : null));
    return tr;
  }

  const atBottom = () => wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 24;
  /**
   * The log follows new rows while the person is at its bottom. Known from where they
   * last scrolled, not measured when rows come: a resize rewraps the rows, which moves the
   * bottom away without anyone scrolling.
   */
  let following = true;
  /** Where toBottom() last put the log (-1: the person has scrolled since). */
  let placed = -1;
  wrap.addEventListener('scroll', () => {
    // The scroll event of our own toBottom() can arrive after a resize has rewrapped the
    // rows and moved the bottom: it says nothing about the person, so it keeps following.
    if (placed >= 0 && Math.abs(wrap.scrollTop - placed) < 1) return;
    placed = -1;
    following = atBottom();
  }, { passive: true });
  if (typeof ResizeObserver === 'function') {
    // Rewrapped rows (a resize, the narrow layout) keep a following log at its bottom.
    const keepFollowing = new ResizeObserver(() => { if (following && !atBottom()) toBottom(); });
    keepFollowing.observe(wrap);
    keepFollowing.observe(table);
  }

  /** Build rows for `items` ([event, stage before]) and insert them in seq order. */
  function insert(items) {
    if (!items.length) return;
    const fragment = document.createDocumentFragment();
    for (const [event, before] of items) {
      fragment.append(row(event, before));
      envelopes.set(event.seq, event);
    }
    // Rows arrive in seq order except history, which may land after the first live rows.
    const firstNew = items[0][0].seq;
    const next = [...body.children].find((tr) => Number(/** @type {HTMLElement} */ (tr).dataset.seq) > firstNew);
    const first = /** @type {HTMLElement} */ (fragment.firstElementChild);
    body.insertBefore(fragment, next ?? null);
    // The new rows' date marks, and that of the row after them (its row above changed).
    for (let tr = /** @type {HTMLElement | null} */ (first); tr && tr !== next; tr = /** @type {HTMLElement | null} */ (tr.nextElementSibling)) markDay(tr);
    if (next) markDay(/** @type {HTMLElement} */ (next));
  }

  /** Put (or take away) the date above a row's time, from its day and the row above's. */
  function markDay(tr) {
    const above = /** @type {HTMLElement | null} */ (tr.previousElementSibling);
    const label = dayLabel(tr.dataset.day ?? '', above?.dataset.day ?? '');
    const cell = tr.firstElementChild;
    let mark = cell?.querySelector('.log__day');
    if (label) {
      if (!mark) {
        mark = h('span', { class: 'log__day' });
        cell?.prepend(mark);
      }
      setText(mark, label);
    } else mark?.remove();
  }

  function toBottom() {
    wrap.scrollTop = wrap.scrollHeight;
    placed = wrap.scrollTop;
  }

  function flush() {
    frame = 0;
    if (held || !queue.length) return;
    clearSkeleton();
    const batch = queue.sort((a, b) => a.seq - b.seq);
    queue = [];
    // An empty log starts at the bottom: no need to measure it (a forced layout).
    const fresh = body.children.length === 0 && !backlog.length;
    const stick = fresh || following;
    // Only the newest maxRows can survive the trim: skip building the others.
    const skip = Math.max(0, batch.length - maxRows);
    /** @type {Array<[any, string]>} */
    const items = [];
    batch.forEach((event, i) => {
      if (i >= skip) items.push([event, stage]);
      stage = stageAfter(event, stage);
    });
    dropped += skip;
    const newest = items.length > firstRows ? items.slice(-firstRows) : items;
    const older = items.slice(0, items.length - newest.length);
    if (older.length) {
      // Older than every row shown so far only when nothing is shown yet (the history).
      if (fresh) {
        backlog = older;
        scheduleBacklog();
      } else {
        insert(older);
      }
    }
    insert(newest);
    total = Math.max(total, batch[batch.length - 1].seq);
    trim();
    ensureTabStop();
    renderSummary();
    if (!stick) return;
    // Scroll once the rows are laid out for the next frame, not by forcing it now.
    if (fresh) window.requestAnimationFrame(toBottom);
    else toBottom();
  }

  function scheduleBacklog() {
    const ticket = ++backlogTicket;
    const run = () => { if (ticket === backlogTicket) fillBacklog(); };
    // A task after the next frame: the newest rows are painted first. Whichever comes
    // first runs it (fillBacklog does nothing the second time).
    window.requestAnimationFrame(() => window.setTimeout(run, 0));
    window.setTimeout(run, BACKLOG_WAIT_MS);
  }

  /** Build the older rows of the history: as many as still fit under maxRows, newest first. */
  function fillBacklog() {
    if (!backlog.length) return;
    const room = Math.max(0, maxRows - body.children.length);
    const fits = room ? backlog.slice(-room) : [];
    dropped += backlog.length - fits.length;
    backlog = [];
    const stick = following;
    insert(fits);
    trim();
    ensureTabStop();
    renderSummary();
    if (stick) toBottom();
  }

  function trim() {
    if (body.children.length <= maxRows) return;
    while (body.children.length > maxRows) {
      const first = /** @type {HTMLElement} */ (body.firstElementChild);
      envelopes.delete(Number(first.dataset.seq));
      first.remove();
      dropped += 1;
    }
    markDay(/** @type {HTMLElement} */ (body.firstElementChild)); // the new first row
  }

  /** The seq of the oldest row shown (or about to be built). */
  function firstSeq() {
    return backlog.length
      ? backlog[0][0].seq
      : Number(/** @type {HTMLElement | null} */ (body.firstElementChild)?.dataset.seq ?? 1);
  }

  function renderSummary() {
    const shown = body.children.length + backlog.length;
    const notShown = shown === 0 ? 0 : Math.max(dropped, firstSeq() - 1);
    setText(summary, shown === 0 ? COPY.logEmpty : notShown > 0 ? COPY.earlierEvents(notShown) : '');
    table.setAttribute('aria-rowcount', String(Math.max(total, shown) + 1));
    if (earlier) {
      const show = !held && shown > 0 && firstSeq() > 1;
      if (!show && earlier.button.contains(document.activeElement)) focusRow(/** @type {HTMLElement} */ (body.firstElementChild));
      earlier.button.hidden = !show;
    }
  }

  /** Fetch the page before the oldest row and prepend it (the button's action). */
  async function showEarlier() {
    if (!loadEarlier || loadingEarlier || held) return;
    if (backlog.length) fillBacklog();
    const before = firstSeq();
    if (before <= 1) return;
    const after = Math.max(0, before - 1 - initialMaxRows);
    const limit = before - 1 - after;
    const ticket = earlierTicket;
    loadingEarlier = true;
    earlier?.button.setAttribute('aria-busy', 'true');
    say(COPY.loadingEarlier);
    let events;
    try {
      events = await loadEarlier(after, limit);
    } catch {
      if (ticket !== earlierTicket) return;
      say(COPY.earlierFailed);
      return;
    } finally {
      if (ticket === earlierTicket) {
        loadingEarlier = false;
        earlier?.button.removeAttribute('aria-busy');
      }
    }
    if (ticket !== earlierTicket) return;
    const page = (events ?? [])
      .filter((e) => typeof e?.seq === 'number' && e.seq > after && e.seq < before && !seen.has(e.seq))
      .sort((a, b) => a.seq - b.seq);
    prepend(page);
    say(page.length
      ? COPY.earlierLoaded(page.length, page[0].seq, page[page.length - 1].seq, firstSeq() > 1)
      : COPY.earlierNone);
  }

  /** Rows older than every row shown, at the top; the cap grows by as many. */
  function prepend(events) {
    if (!events.length) return;
    let before = stageBefore(events);
    /** @type {Array<[any, string]>} */
    const items = events.map((event) => {
      const item = /** @type {[any, string]} */ ([event, before]);
      before = stageAfter(event, before);
      seen.add(event.seq);
      return item;
    });
    // Room for what is shown, what was asked for, and a page of new events after them.
    maxRows = Math.max(maxRows, body.children.length + items.length + initialMaxRows);
    const fromBottom = wrap.scrollHeight - wrap.scrollTop;
    insert(items);
    dropped = Math.max(0, firstSeq() - 1);
    // Keep the rows the person was looking at where they were: the new ones are above.
    wrap.scrollTop = wrap.scrollHeight - fromBottom;
    ensureTabStop();
    renderSummary();
  }

  function ensureTabStop() {
    const rows = /** @type {HTMLElement[]} */ ([...body.children]);
    if (!rows.length) return;
    if (!rows.some((tr) => tr.tabIndex === 0)) rows[rows.length - 1].tabIndex = 0;
  }

  function focusRow(tr) {
    if (!tr) return;
    for (const other of body.querySelectorAll('tr[tabindex="0"]')) /** @type {HTMLElement} */ (other).tabIndex = -1;
    tr.tabIndex = 0;
    tr.focus();
  }

  body.addEventListener('keydown', (event) => {
    const current = /** @type {HTMLElement} */ (event.target).closest('tr');
    if (!current || current.parentElement !== body) return;
    const rows = /** @type {HTMLElement[]} */ ([...body.children]);
    const i = rows.indexOf(current);
    let next = null;
    switch (event.key) {
      case 'ArrowDown': next = rows[Math.min(rows.length - 1, i + 1)]; break;
      case 'ArrowUp': next = rows[Math.max(0, i - 1)]; break;
      case 'PageDown': next = rows[Math.min(rows.length - 1, i + PAGE)]; break;
      case 'PageUp': next = rows[Math.max(0, i - PAGE)]; break;
      case 'Home': next = rows[0]; break;
      case 'End': next = rows[rows.length - 1]; break;
      case 'Enter':
      case ' ':
        if (onActivate) {
          const envelope = envelopes.get(Number(current.dataset.seq));
          if (envelope) onActivate(envelope);
        }
        event.preventDefault();
        return;
      default: return;
    }
    event.preventDefault();
    focusRow(next);
  });

  body.addEventListener('click', (event) => {
    const tr = /** @type {HTMLElement} */ (event.target).closest('tr');
    if (tr && tr.parentElement === body) focusRow(tr);
  });

  function schedule() {
    if (frame) return;
    frame = window.requestAnimationFrame(flush);
    // requestAnimationFrame does not run in a background tab; flush anyway, later.
    window.setTimeout(() => { if (frame) { window.cancelAnimationFrame(frame); flush(); } }, 250);
  }

  return {
    /** Queue events for the next frame. Already rendered seqs are ignored. */
    push(...events) {
      for (const event of events) {
        if (typeof event?.seq !== 'number' || seen.has(event.seq)) continue;
        seen.add(event.seq);
        queue.push(event);
      }
      if (queue.length) schedule();
    },
    /** Start rendering (after the history rows were pushed). */
    release() {
      held = false;
      clearSkeleton();
      renderSummary();
      if (queue.length) flush();
    },
    /** Forget every row and hold again (after a reset: the snapshot is reloaded). */
    reset() {
      held = true;
      queue = [];
      backlogTicket += 1;
      backlog = [];
      seen.clear();
      envelopes.clear();
      body.replaceChildren();
      stage = 'queued';
      total = 0;
      dropped = 0;
      maxRows = initialMaxRows;
      earlierTicket += 1;
      loadingEarlier = false;
      earlier?.button.removeAttribute('aria-busy');
      say('');
      // Whatever the caller shows meanwhile (a loading skeleton) goes when rows come.
      started = false;
      renderSummary();
    },
    /** Rows in the log, counting the history's older rows not built yet. */
    get size() {
      return body.children.length + backlog.length;
    },
  };
}
