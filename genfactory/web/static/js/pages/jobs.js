/**
 * Job Management (`/jobs`): statistics, filters and presets, the job table with selection
 * and batch operations, pagination (or one scrolling, windowed list), the Single Job View,
 * keyboard shortcuts, and live updates from the global event stream: status, progress,
 * images and their QC counts, renames and deletions made elsewhere (another tab, the CLI,
 * another API node), batched into one re-render per animation frame.
 *
 * The view state (filters, page, size, sort) lives in the address (`?status=failed&q=fox`),
 * so a reload or a shared link shows the same jobs.
 *
 * The list is pinned to the moment it was first read (the API's `as_of`): page changes,
 * page-size changes and quiet reloads read the jobs created up to then, so jobs arriving
 * meanwhile never push rows onto the next page (a row twice while walking the pages); they
 * are counted in "N new jobs since this page loaded" instead. The pin goes (the next answer
 * brings a new one) when the filters, the search or the sort change, when Show or Refresh
 * is pressed, and when the page reloads itself at the top of the newest jobs, where new jobs
 * appear by themselves. "Select all N matching" keeps the pin in its filter: a bulk action
 * then takes the jobs that matched when they were selected. `body[data-ready="true"]` once the first
 * list is shown (for tests).
 *
 * @module pages/jobs
 */

import { JOBS_COPY as T, JOBS_SEL as S } from '../copy-jobs.js';
import { COPY } from '../copy.js';
import { $, announce, setText } from '../lib/dom.js';
import { initThemeToggle } from '../lib/theme.js';
import { toast } from '../components/toast.js';
import { jobsApi } from '../jobs/api.js';
import { createJobActions, message, unreachable } from '../jobs/actions.js';
import { createBatchToolbar } from '../jobs/batch-toolbar.js';
import {
  activeCount, apiParams, applyFilter, clearFilter, datesInverted, filterBody, filterKey, nextSort, parseQuery,
  pinKey, presetFilter, SCROLL_SIZE, toQuery,
} from '../jobs/filter-state.js';
import { ACTIVE_STATUSES } from '../jobs/format.js';
import { createFilters } from '../jobs/filters.js';
import { applyEvent, isNewJob } from '../jobs/live.js';
import { applyImageQc, applyLabel, applyQc, withoutDeleted } from '../jobs/live-edits.js';
import { createLiveStream } from '../jobs/live-stream.js';
import { createJobModal } from '../jobs/modal.js';
import { createPagination } from '../jobs/pagination.js';
import { pageSpan } from '../jobs/paging.js';
import { createPresets } from '../jobs/presets.js';
import { createRowMenu } from '../jobs/row-menu.js';
import { createHelp, installShortcuts } from '../jobs/shortcuts.js';
import { createSelection } from '../jobs/selection.js';
import { createStats } from '../jobs/stats.js';
import { createSystemStatus } from '../jobs/system-status.js';
import { createTable } from '../jobs/table.js';
import { createVirtualList } from '../jobs/virtual-list.js';

const STATS_DEBOUNCE_MS = 600;
const RELOAD_DEBOUNCE_MS = 500;
const SNAPSHOT_DEBOUNCE_MS = 250;
/** While the stream only polls (it carries no deletion notices), reload this often. */
const POLL_RELOAD_MS = 30000;
/** After the configurations failed to load: try again after this, doubling up to the max. */
const CONFIG_RETRY_MS = 4000;
const CONFIG_RETRY_MAX_MS = 60000;

/** A page of jobs as the table's row source. */
function pageSource(page) {
  const items = page.items ?? [];
  const at = new Map(items.map((job, i) => [job.id, i]));
  return {
    page,
    virtual: false,
    count: items.length,
    get: (i) => items[i] ?? null,
    indexOf: (id) => at.get(id) ?? -1,
    highlights: (id) => page.highlights?.[id] ?? null,
  };
}


function main() {
  initThemeToggle();
  const main = $(S.main);
  let state = parseQuery(window.location.search);
  /** The last list answer (paged view) or the scrolling view's rows. */
  let source = pageSource({ items: [] });
  /** The filter the rows shown (and the statistics shown) answer. */
  let sourceKey = '';
  let statsKey = '';
  /** @type {ReturnType<typeof createVirtualList> | null} */
  let virtualList = null;
  let total = 0;
  let listTicket = 0;
  let matchingTicket = 0;
  let statsTimer = 0;
  let reloadTimer = 0;
  let liveReloadTimer = 0;
  /** The last list load failed: its recovery also reloads what else failed (statistics). */
  let listDown = false;
  /** The pagination shows the counts of a list answer (not a load or a failure). */
  let counted = false;
  let newJobs = 0;
  /**
   * What the list is read as of: the pinned view (filters and sort) and the moment (a list
   * answer's `as_of`; '' until the first answer after the pin went).
   */
  let pin = { key: '', asOf: '' };
  /** @type {Set<string>} jobs whose snapshot must be fetched again */
  const stale = new Set();
  let staleTimer = 0;

  const notify = (text, tone = 'info') => toast(text, { tone });
  const serverError = $(S.serverError);
  const tableError = $(S.tableError);
  const empty = $(S.empty);

  // ---- components ---------------------------------------------------------------------

  const selection = createSelection({ onChange: () => renderSelection() });
  const stats = createStats({
    onFilter: (statuses) => update({ status: statuses, page: 1 }),
    onRetry: () => loadStats(),
  });
  const filters = createFilters({
    onChange: (patch) => update({ ...patch, page: 1 }),
    onClear: (key) => {
      update(clearFilter(state, key));
      if (key === 'all') announce(T.cleared);
    },
  });
  createPresets({
    currentFilter: () => presetFilter(state),
    onApply: (filter, name) => {
      update(applyFilter(state, filter));
      notify(T.presetApplied(name), 'success');
    },
    notify,
  });
  const table = createTable({
    table: /** @type {HTMLTableElement} */ ($(S.table)),
    body: $(S.body),
    scroller: $(S.scroller),
    selectPage: /** @type {HTMLInputElement} */ ($(S.selectPage)),
    selection,
    onOpen: (id) => openJob(id),
    onRename: (id, label) => rename(id, label),
    onMenu: (id, at, back) => rowMenu.open(id, at, back),
    onToggle: (id, on, range) => toggle(id, on, range),
    onSelectShown: (on) => selectShown(on),
    onSort: (key) => update({ ...nextSort(state, key), page: 1 }),
    covered: (el) => toolbar.covering(el),
  });
  const rowMenu = createRowMenu($(S.rowMenu), {
    onAction: (action, id) => rowAction(action, id),
    // The server refuses to delete a running job: the item says so instead of offering it
    // (the bulk Delete leaves such picked jobs out, and says so).
    unavailable: (action, id) => (action === 'delete' && ACTIVE_STATUSES.has(jobFor(id)?.status)
      ? T.deleteWhileRunning : null),
  });
  const toolbar = createBatchToolbar({
    onRerun: () => actions.rerunSelected(),
    onExport: () => actions.exportSelected(),
    onDelete: () => actions.deleteSelected(),
    onClear: () => clearSelection(),
    onCancel: () => actions.cancel(),
  });
  const actions = createJobActions({
    toolbar,
    selection,
    jobFor: (id) => jobFor(id),
    notify,
    onChanged: async (what) => {
      if (what === 'deleted' || what === 'recount') {
        await loadList({ quiet: true }); // "all N matching" takes the new count (matchingCount)
        if (what === 'deleted') table.focusActive();
      }
      scheduleStats();
    },
    onServerDown: (error) => showServerDown(error),
    pickedUnder: () => filterBody(state),
  });
  const pagination = createPagination({
    onPage: (page) => update({ page }, { focusTable: true }),
    onSize: (size) => update({ size, page: 1 }),
  });
  const modal = createJobModal({
    onExport: (id) => actions.exportJob(id, (text) => modal.operation(text)),
    onRerun: (id) => actions.rerunOne(id, (text) => modal.operation(text)),
    onDelete: (id) => actions.deleteJobs({ ids: [id] }, 1, jobFor(id)),
    onJob: (job) => mergeJob(job),
    notify,
  });
  let health = 'checking';
  const system = createSystemStatus({
    onChange: (next) => {
      // The server came back: load what failed while it was away.
      if (health === 'down' && next === 'ok') {
        if (!serverError.hidden) refreshAll();
        else if (stats.failed) loadStats();
      }
      health = next;
    },
  });

  // ---- state --------------------------------------------------------------------------

  /**
   * Change the view state: the address, the controls, then load what changed.
   * @param {Partial<import('../jobs/filter-state.js').ViewState>} patch
   * @param {{focusTable?: boolean, fresh?: boolean}} [opts]  fresh: drop the list's pin
   */
  function update(patch, { focusTable = false, fresh = false } = {}) {
    const before = state;
    state = { ...state, ...patch };
    const filtersChanged = filterKey(before) !== filterKey(state);
    // The cards count every status: only the other filters change them.
    const statsChanged = filterKey({ ...before, status: [] }) !== filterKey({ ...state, status: [] });
    if (filtersChanged && selection.mode === 'matching') {
      selection.clear();
      notify(T.filterModeEnded, 'info');
    }
    syncControls();
    if (statsChanged) loadStats();
    loadList({ focusTable, announceCount: filtersChanged, fresh });
  }

  function syncControls() {
    const query = toQuery(state);
    if (query !== window.location.search) window.history.replaceState(null, '', `${window.location.pathname}${query}`);
    filters.show(state);
    stats.setActive(state.status, activeCount({ ...state, status: [] }) > 0);
    table.setSort(state.sort, state.order);
  }

  window.addEventListener('popstate', () => {
    state = parseQuery(window.location.search);
    syncControls();
    loadList({});
    loadStats();
  });

  // ---- loading ------------------------------------------------------------------------

  /**
   * The page's "Server unavailable" callout. While it shows, the statistics add no callout
   * of their own (one cause, one message); when it goes, theirs shows if they failed.
   */
  function setServerDown(on) {
    serverError.hidden = !on;
    stats.setQuiet(on);
  }

  /** A request failed: say so if the server did not answer; ask how it is now. */
  function showServerDown(error) {
    if (unreachable(error)) setServerDown(true);
    if (error?.unavailable) system.check(); // the header's status should not say "OK" meanwhile
  }

  /**
   * Drop the pin when the view changed (filters, search, sort) or when asked (`fresh`): the
   * next answer's `as_of` is the new one, and the jobs counted as new are in it.
   * @returns {string} the moment to read the list as of ('' = now)
   */
  function pinFor(fresh) {
    const key = pinKey(state);
    if (fresh || pin.key !== key) {
      pin = { key, asOf: '' };
      newJobs = 0;
      $(S.newJobs).hidden = true;
    }
    return pin.asOf;
  }

  /** A list answer's moment becomes the pin, if the view has none yet. */
  function pinTo(key, asOf) {
    if (pin.key === key && !pin.asOf && asOf) pin = { key, asOf };
  }

  /**
   * @param {{focusTable?: boolean, announceCount?: boolean, quiet?: boolean, fresh?: boolean}} opts
   *   quiet: a live reload (no skeletons, scroll and focus kept); fresh: drop the pin (show
   *   the jobs created since the list was first read)
   */
  async function loadList({ focusTable = false, announceCount = false, quiet = false, fresh = false }) {
    const mine = ++listTicket;
    if (datesInverted(state)) return;
    const asOf = pinFor(fresh);
    const key = pin.key;
    if (!quiet) {
      main.dataset.view = 'loading';
      table.setBusy(true);
      if (!counted) pagination.unknown(); // no "Total: 0 jobs" before the first answer
    }
    virtualList?.close();
    virtualList = null;
    if (state.size === SCROLL_SIZE) {
      const list = createVirtualList(state, {
        asOf,
        onLoaded: () => {
          if (mine !== listTicket) return;
          pinTo(key, list.asOf);
          total = list.count;
          matchingCount();
          if (source !== list) {
            source = list;
            sourceKey = filterKey(state);
            table.setSource(list, { keepScroll: quiet });
            shown({ focusTable, announceCount });
          } else table.refresh();
          renderCounts();
        },
        onError: (error) => { if (mine === listTicket) listFailed(error); },
      });
      virtualList = list;
      list.start();
      return;
    }
    let page;
    try {
      page = await jobsApi.list(apiParams(state, { page: state.page, size: Number(state.size) }, asOf));
    } catch (error) {
      if (mine === listTicket) listFailed(error);
      return;
    }
    if (mine !== listTicket) return;
    pinTo(key, page.as_of);
    // Past the last page (deletions, a stale link): go to the last one.
    if (page.items.length === 0 && page.total > 0 && state.page > 1) {
      state = { ...state, page: Math.max(1, page.pages) };
      syncControls();
      loadList({ focusTable, announceCount, quiet });
      return;
    }
    total = page.total;
    matchingCount();
    source = pageSource(page);
    sourceKey = filterKey(state);
    table.setSource(source, { keepScroll: quiet });
    renderCounts();
    shown({ focusTable, announceCount });
  }

  /**
   * "All N matching" counts what its filter matches now (jobs deleted or changed elsewhere),
   * as the table's total does when it reads the same pinned list: the toolbar and the
   * confirmation name the number shown. Jobs created since it was selected are not in it.
   */
  function matchingCount() {
    const matching = selection.matching;
    if (!matching || matching.key !== filterKey(state)) return;
    const asOf = matching.filter.as_of ?? '';
    if (asOf === pin.asOf) {
      selection.recount(total);
      return;
    }
    // The list was pinned again since (Show, new jobs at the top, another sort): count the
    // selection's own moment.
    const ticket = ++matchingTicket;
    jobsApi.list(apiParams(state, { page: 1, size: 1 }, asOf)).then((page) => {
      const now = selection.matching;
      if (ticket === matchingTicket && now && now.key === matching.key && (now.filter.as_of ?? '') === asOf) {
        selection.recount(page.total);
      }
    }, () => {}); // the next reload counts again
  }

  function shown({ focusTable, announceCount }) {
    // The list is back: so may be what failed with it.
    if (listDown && stats.failed) loadStats();
    listDown = false;
    setServerDown(false);
    tableError.hidden = true;
    main.dataset.view = 'ready';
    table.setBusy(false);
    const none = total === 0;
    empty.hidden = !none;
    $(S.scroller).hidden = none;
    if (none) {
      const filtered = activeCount(state) > 0;
      setText($(S.emptyTitle), filtered ? T.noMatchTitle : T.emptyTitle);
      setText($(S.emptyBody), filtered ? T.noMatchBody : T.emptyBody);
      $(S.emptyClear).hidden = !filtered;
      $(S.emptyStart).hidden = filtered;
    }
    renderSelection();
    document.body.dataset.ready = 'true';
    if (announceCount) announce(T.total(total));
    if (focusTable && !none) table.focusActive();
  }

  function renderCounts() {
    counted = true;
    pagination.render({ page: state.page, size: state.size, total });
    if (state.size === SCROLL_SIZE) setText($(S.tableCount), T.scrollShowing(total));
    else {
      const span = pageSpan(state.page, Number(state.size), total);
      setText($(S.tableCount), T.showing(span.from, span.to, total));
    }
  }

  function listFailed(error) {
    if (source.count > 0 && sourceKey !== filterKey(state)) {
      // The rows shown answer another filter: never under the new filter's chips.
      source = pageSource({ items: [] });
      table.setSource(source, { keepScroll: false });
    }
    main.dataset.view = 'error';
    table.setBusy(false);
    listDown = true;
    counted = false;
    pagination.unknown(); // the counts are not known now
    setText($(S.tableCount), '');
    showServerDown(error);
    // One cause, one message: rows still shown stay under the page's "Server unavailable";
    // an empty table says why it is empty. A server error (500) is said here, with its words.
    tableError.hidden = unreachable(error) && source.count > 0;
    setText($(S.tableErrorText), unreachable(error) ? COPY.serverUnavailableHelp : message(error));
    if (source.count === 0) {
      $(S.scroller).hidden = true; // nothing to show under the error
      empty.hidden = true;
    }
    document.body.dataset.ready = 'true';
  }

  async function loadStats() {
    window.clearTimeout(statsTimer);
    statsTimer = 0;
    if (datesInverted(state)) return;
    const key = filterKey({ ...state, status: [] }); // the numbers leave status aside
    stats.retrying();
    try {
      const value = await jobsApi.stats(apiParams(state, null));
      if (key === filterKey({ ...state, status: [] })) {
        stats.render(value);
        statsKey = key;
      }
    } catch (error) {
      // The cards say it themselves (quiet under the page's "Server unavailable", if shown):
      // the list may well have loaded, so this alone does not raise the page's callout.
      stats.showError({ stale: statsKey !== key });
      if (error?.unavailable) system.check();
    }
  }

  function scheduleStats() {
    if (!statsTimer) statsTimer = window.setTimeout(loadStats, STATS_DEBOUNCE_MS);
  }

  let configRetry = 0;
  let configRetryMs = CONFIG_RETRY_MS;
  async function loadConfigurations() {
    window.clearTimeout(configRetry);
    configRetry = 0;
    filters.setConfigurations('loading', state.configuration);
    try {
      const list = await jobsApi.configurations();
      filters.setConfigurations(list.map((c) => c.name).sort((a, b) => a.localeCompare(b)), state.configuration);
      configRetryMs = CONFIG_RETRY_MS;
    } catch {
      filters.setConfigurations('error', state.configuration);
      // The server may be restarting: the filter comes back by itself when it does.
      configRetry = window.setTimeout(loadConfigurations, configRetryMs);
      configRetryMs = Math.min(configRetryMs * 2, CONFIG_RETRY_MAX_MS);
    }
  }

  /** @param {{fresh?: boolean}} [opts]  fresh: read the list as of now (the Refresh button:
   *  the person asks for what is there now, new jobs included) */
  function refreshAll({ fresh = false } = {}) {
    filters.flush();
    setServerDown(false);
    loadList({ fresh });
    loadStats();
    loadConfigurations();
    system.check();
  }

  // ---- jobs in the table ------------------------------------------------------------

  function jobFor(id) {
    const i = source.indexOf(id);
    return i >= 0 ? source.get(i) : selection.info(id) ?? null;
  }

  /** A fresh snapshot of a job (from the modal or a refetch) replaces the row's copy. */
  function mergeJob(job) {
    const current = jobFor(job.id);
    if (current && current !== job) Object.assign(current, job);
    selection.update(job.id, current ?? job);
    table.updateJob(current ?? job);
  }

  async function refetchStale() {
    staleTimer = 0;
    const ids = [...stale];
    stale.clear();
    await Promise.all(ids.slice(0, 25).map(async (id) => {
      try {
        mergeJob(await jobsApi.get(id));
      } catch {
        // deleted meanwhile, or the server is away: the row keeps what it had
      }
    }));
  }

  // ---- live updates ---------------------------------------------------------------------

  /** @param {import('../jobs/live-stream.js').LiveItem[]} items */
  function onLiveBatch(items) {
    let statsDirty = false;
    let created = 0;
    for (const item of items) {
      if ('notice' in item) {
        jobsDeleted(item.notice);
        continue;
      }
      const event = item.event;
      if (event.type === 'status') actions.status(event.job_id, event.data?.status);
      if (isNewJob(event)) created += 1;
      const job = jobFor(event.job_id);
      if (event.type === 'label' && job) labelChanged(job, event);
      if (!job || source.indexOf(event.job_id) < 0) {
        if (event.type === 'status') {
          statsDirty = true;
          // A selected job on another page: its status still decides what a delete skips.
          if (job) applyEvent(job, event);
        }
        continue;
      }
      let row = false;
      if (event.type === 'qc') row = applyQc(job, event);
      if (event.type === 'image') row = applyImageQc(job, event);
      const changed = applyEvent(job, event);
      if (changed.row || row) table.updateJob(job);
      if (changed.snapshot) stale.add(job.id);
      statsDirty ||= changed.stats;
    }
    if (stale.size && !staleTimer) staleTimer = window.setTimeout(refetchStale, SNAPSHOT_DEBOUNCE_MS);
    if (statsDirty) scheduleStats();
    if (created) newJobsArrived(created);
  }

  /**
   * Renamed elsewhere: the row (and a selected job's name) in place. A label being edited
   * here keeps the person's text; the new label shows if they cancel.
   */
  function labelChanged(job, event) {
    if (!applyLabel(job, event)) return;
    const marks = source.highlights(job.id);
    if (marks) delete marks.label; // the ranges were for the old label
    selection.update(job.id, job);
    table.updateJob(job);
    // The label may no longer match the search, or sort elsewhere.
    if (state.q || state.sort === 'label') scheduleLiveReload();
  }

  /**
   * Jobs deleted elsewhere (or by this page): their rows go at once, the selection forgets
   * them, an open Single Job View of one says so; then the page and the statistics are
   * reloaded (the total, and rows moving up from the next page).
   * @param {import('../jobs/live-edits.js').DeletedNotice} notice
   */
  function jobsDeleted(notice) {
    const gone = notice.ids ? new Set(notice.ids) : null;
    if (gone) {
      selection.forget(notice.ids ?? []);
      if (modal.jobId && gone.has(modal.jobId)) modalJobDeleted();
      if (rowMenu.isOpen && rowMenu.jobId && gone.has(rowMenu.jobId)) rowMenu.close(false);
      if (!source.virtual && source.page) {
        const shownBefore = source.page;
        const { page, removed } = withoutDeleted(source.page, gone);
        if (removed) {
          const hadFocus = $(S.body).contains(document.activeElement);
          total = page.total;
          matchingCount();
          source = pageSource(page);
          table.setSource(source, { keepScroll: true });
          renderCounts();
          shown({ focusTable: false, announceCount: false });
          if (hadFocus && !$(S.body).contains(document.activeElement)) table.focusActive();
          // Not the page's own deletions (their notice may come after the answer did).
          const theirs = new Set([...gone].filter((id) => !actions.deletedHere(id)));
          const elsewhere = theirs.size ? withoutDeleted(shownBefore, theirs).removed : 0;
          if (elsewhere && !actions.deleting) announce(T.deletedElsewhere(elsewhere));
        }
      }
    }
    document.dispatchEvent(new CustomEvent('jobs:deleted', { detail: { ids: notice.ids, count: notice.count } }));
    scheduleStats();
    scheduleLiveReload();
  }

  /**
   * The open Single Job View shows a deleted job: say so and turn its actions off (the
   * modal's own stream also ends with `not_found`). The actions come back when it closes.
   */
  function modalJobDeleted() {
    for (const selector of [S.modalExport, S.modalRerun, S.modalDelete]) {
      /** @type {HTMLButtonElement} */ ($(selector)).disabled = true;
    }
    $(S.modalDetails).removeAttribute('href'); // its page would say "not found" (open() sets it again)
    $(S.modalError).hidden = false;
    $(S.modalRetry).hidden = true;
    setText($(S.modalErrorText), T.modalNotFound);
    announce(T.modalNotFound);
  }

  $(S.modal).addEventListener('close', () => {
    for (const selector of [S.modalExport, S.modalRerun, S.modalDelete]) {
      /** @type {HTMLButtonElement} */ ($(selector)).disabled = false;
    }
  });

  /** A quiet reload of the list soon (once for a burst; not under an open row menu — an open
   * label editor survives it when its row stays). */
  function scheduleLiveReload() {
    window.clearTimeout(liveReloadTimer);
    liveReloadTimer = window.setTimeout(() => {
      if (rowMenu.isOpen) return scheduleLiveReload();
      loadList({ quiet: true });
    }, RELOAD_DEBOUNCE_MS);
  }

  /**
   * New jobs: on the first page of the newest jobs they appear by themselves (the pin goes);
   * elsewhere the pinned list leaves them out and the notice counts them.
   */
  function newJobsArrived(n) {
    const atTop = state.sort === 'created' && state.order === 'desc'
      && (state.size === SCROLL_SIZE ? $(S.scroller).scrollTop < 56 : state.page === 1);
    if (atTop && !table.editing && !rowMenu.isOpen) {
      window.clearTimeout(reloadTimer);
      reloadTimer = window.setTimeout(() => {
        if (table.editing || rowMenu.isOpen) return newJobsArrived(0);
        loadList({ quiet: true, fresh: true });
      }, RELOAD_DEBOUNCE_MS);
      return;
    }
    newJobs += n;
    setText($(S.newJobsText), T.newJobs(newJobs));
    $(S.newJobs).hidden = newJobs === 0;
  }

  $(S.newJobsShow).addEventListener('click', () => {
    update({ page: 1 }, { focusTable: true, fresh: true });
  });

  // Notices of deletions are not resumable: after a reconnect, and every so often while only
  // polling (which carries none), reload what is shown.
  let everLive = false;
  let missed = false;
  let pollReload = 0;
  createLiveStream({
    onBatch: onLiveBatch,
    onState: (s) => {
      system.live(s);
      if (s.state === 'live') {
        if (missed) {
          scheduleLiveReload();
          scheduleStats();
        }
        if (configRetry) loadConfigurations(); // the server is back: no need to wait
        everLive = true;
        missed = false;
      } else if (everLive) missed = true; // dropped: reload when it is back
      const polling = s.mode === 'poll' && (s.state === 'degraded' || s.state === 'reconnecting');
      if (polling && !pollReload) {
        pollReload = window.setInterval(() => {
          if (document.visibilityState === 'visible') {
            scheduleLiveReload();
            scheduleStats();
          }
        }, POLL_RELOAD_MS);
      } else if (!polling && pollReload) {
        window.clearInterval(pollReload);
        pollReload = 0;
      }
    },
    onReset: () => refreshAll(),
  });
  window.setInterval(() => table.tick(), 1000);

  // ---- selection --------------------------------------------------------------------

  function toggle(id, on, range) {
    if (selection.mode === 'matching') {
      if (on) return;
      const keep = table.shownEntries().filter(([key]) => key !== id);
      selection.narrow(keep);
      notify(T.filterModeNarrowed(keep.length), 'info');
      return;
    }
    if (range) selection.selectRange(table.shownEntries(), id, on);
    else selection.toggle(id, jobFor(id), on);
  }

  function selectShown(on) {
    if (selection.mode === 'matching' && !on) {
      selection.clear();
      return;
    }
    // The scrolling view's header box selects every matching job, not the rows drawn now.
    if (table.virtual) {
      if (on) selectMatching();
      else selection.clear();
      return;
    }
    selection.setMany(table.shownEntries(), on);
  }

  function selectMatching() {
    // The jobs the list shows: created up to its pin, not those arriving after.
    const filter = filterBody(state);
    if (pin.asOf && pin.key === pinKey(state)) filter.as_of = pin.asOf;
    selection.selectMatching({ filter, count: total, key: filterKey(state) });
    announce(T.allMatchingSelected(total));
  }

  function clearSelection() {
    if (selection.clear()) announce(T.selectionCleared);
  }

  function renderSelection() {
    table.syncSelection();
    const shownIds = table.shownIds();
    const shownSet = new Set(shownIds);
    toolbar.render(selection, selection.mode === 'ids' ? selection.ids().filter((id) => !shownSet.has(id)).length : 0);
    const notice = $(S.selectNotice);
    const action = $(S.selectNoticeAction);
    const allShown = shownIds.length > 0 && shownIds.every((id) => selection.has(id));
    if (selection.mode === 'matching') {
      notice.hidden = false;
      setText($(S.selectNoticeText), T.allMatchingSelected(selection.size));
      setText(action, T.clearSelection);
      action.dataset.action = 'clear';
    } else if (allShown && total > shownIds.length && !table.virtual) {
      notice.hidden = false;
      setText($(S.selectNoticeText), T.pageSelected(shownIds.length));
      setText(action, T.selectAllMatching(total));
      action.dataset.action = 'matching';
    } else notice.hidden = true;
  }

  $(S.selectNoticeAction).addEventListener('click', (event) => {
    const action = /** @type {HTMLElement} */ (event.currentTarget).dataset.action;
    if (action === 'matching') {
      selectMatching();
      $(S.selectNoticeAction).focus();
    } else {
      clearSelection();
      /** @type {HTMLElement} */ ($(S.selectPage)).focus();
    }
  });

  // ---- rename -------------------------------------------------------------------------

  async function rename(id, label) {
    const job = jobFor(id);
    if (!job) return;
    const before = job.label;
    job.label = label; // optimistic
    table.updateJob(job);
    try {
      mergeJob(await jobsApi.rename(id, label));
      announce(T.renamed(label));
    } catch (error) {
      job.label = before; // rollback
      table.updateJob(job);
      if (error?.unavailable) system.check();
      const text = T.renameFailed(message(error));
      table.showRowError(id, text);
      notify(text, 'error');
    }
  }

  // ---- row actions ------------------------------------------------------------------

  function openJob(id) {
    rowMenu.close(false);
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const opener = active && $(S.body).contains(active) ? active : table.rowOf(id);
    modal.open(id, { job: jobFor(id), opener });
  }

  function rowAction(action, id) {
    switch (action) {
      case 'view': openJob(id); break;
      case 'export': actions.exportJob(id, (text) => toolbar.progress(text ? { text, percent: null } : null)); break;
      case 'rerun': actions.rerunOne(id, (text) => notify(text, 'success')); break;
      case 'delete': actions.deleteJobs({ ids: [id] }, 1, jobFor(id)); break;
      default: break;
    }
  }

  // ---- header, help, shortcuts ----------------------------------------------------------

  const refresh = () => {
    refreshAll({ fresh: true });
    announce(T.refreshed);
  };
  const help = createHelp();
  $(S.refresh).addEventListener('click', refresh);
  $(S.serverRetry).addEventListener('click', () => refreshAll());
  $(S.tableRetry).addEventListener('click', () => loadList({ focusTable: true }));
  $(S.emptyClear).addEventListener('click', () => update(clearFilter(state, 'all')));
  installShortcuts({
    blocked: () => rowMenu.isOpen,
    focusSearch: () => filters.focusSearch(),
    refresh,
    help: () => help.open(),
    hasSelection: () => selection.size > 0,
    deleteSelected: () => actions.deleteSelected(),
    clearSelection,
  });

  // ---- start ----------------------------------------------------------------------------

  syncControls();
  loadList({});
  loadStats();
  loadConfigurations();
  system.start();
}

main();
