/**
 * Every user-visible string and every DOM hook of Job Management (`/jobs`) and its Single
 * Job View, in one place. Pure data and string builders: no DOM here.
 *
 * The status words follow specs/job-management.md ("Pending" = queued, "Stopped" =
 * cancelled, DESIGN.md decision 8).
 *
 * @module copy-jobs
 */

import { longDay } from './lib/format.js';

const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const quoted = (text) => `“${text}”`;
/** A message as a sentence: with its full stop (the server's messages may have none). */
const sentence = (text) => {
  const t = String(text).trim();
  return /[.!?…][”’"')]?$/.test(t) ? t : `${t}.`;
};

/**
 * The status filter's options, in the spec's order, with the API statuses each means.
 * `running` covers `uploading` too (the Running card counts both).
 */
export const STATUS_FILTERS = Object.freeze([
  Object.freeze({ key: 'completed', label: 'Completed', api: Object.freeze(['completed']) }),
  Object.freeze({ key: 'failed', label: 'Failed', api: Object.freeze(['failed']) }),
  Object.freeze({ key: 'running', label: 'Running', api: Object.freeze(['running', 'uploading']) }),
  Object.freeze({ key: 'stopped', label: 'Stopped', api: Object.freeze(['cancelled']) }),
  Object.freeze({ key: 'pending', label: 'Pending', api: Object.freeze(['queued']) }),
]);

/** The badge text of each job status on this page. */
export const JOB_STATUS_LABELS = Object.freeze({
  queued: 'Pending',
  running: 'Running',
  uploading: 'Uploading',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Stopped',
});

export const QC_LABELS = Object.freeze({ passed: 'Passed', failed: 'Failed', pending: 'Pending' });

export const JOBS_COPY = Object.freeze({
  // -- header and system status --------------------------------------------------------
  systemChecking: 'Checking system…',
  systemOk: (slots, busy) => `System OK · ${plural(slots, 'worker slot')}${busy ? `, ${busy} busy` : ''}`,
  systemNoWorkers: 'No worker running: jobs stay pending',
  systemDbDown: 'Database unreachable',
  systemDown: 'Server unreachable',
  systemTitle: (text, at) => `${text}. Checked ${at}.`,
  liveModes: Object.freeze({ ws: 'Live (WebSocket)', sse: 'Live (SSE)', poll: 'Live (polling)' }),
  liveConnecting: 'Connecting to live updates…',
  liveLost: 'Live updates interrupted; reconnecting…',
  liveClosed: 'Live updates stopped',
  refreshed: 'Jobs refreshed.',

  // -- statistics ------------------------------------------------------------------------
  statLabels: Object.freeze({
    total: 'Total jobs', completed: 'Completed', failed: 'Failed', running: 'Running', pending: 'Pending',
  }),
  statFilterHint: Object.freeze({
    total: 'Show all jobs',
    completed: 'Show only completed jobs',
    failed: 'Show only failed jobs',
    running: 'Show only running jobs',
    pending: 'Show only pending jobs',
  }),
  trendUp: (n, pct, basis) => `▲ ${n.toLocaleString('en-US')}${pct === null ? '' : ` (${pct}%)`} vs ${basis}`,
  trendDown: (n, pct, basis) => `▼ ${Math.abs(n).toLocaleString('en-US')}${pct === null ? '' : ` (${Math.abs(pct)}%)`} vs ${basis}`,
  trendFlat: (basis) => `No change vs ${basis}`,
  stoppedCount: (n) => `${n.toLocaleString('en-US')} stopped`,
  trendBasis: Object.freeze({ last_7_days: 'previous 7 days', range: 'previous period' }),
  successRate: (rate) => `${rate} success rate`,
  failureRate: (rate) => `${rate} failure rate`,
  noneFinished: 'None finished yet',
  runningNow: (n) => (n ? 'Generating now' : 'Nothing running'),
  queueEmpty: 'Queue empty',
  queueStatus: (runnable, waiting) =>
    [runnable ? `${runnable.toLocaleString('en-US')} ready to run` : '', waiting ? `${waiting.toLocaleString('en-US')} waiting to retry` : '']
      .filter(Boolean).join(' · ') || 'Queue empty',
  statsError: 'Statistics could not be loaded.',
  statsScoped: 'Statistics for the current filters (status aside).',

  // -- filters -----------------------------------------------------------------------------
  statusAll: 'All',
  statusButton: (labels) => (labels.length === 0 ? 'All' : labels.length <= 2 ? labels.join(', ') : `${labels.length} statuses`),
  configAll: 'All configurations',
  configLoading: 'Loading configurations…',
  // Short: it is the select's own text, as wide as "All configurations"; the long form is
  // its tooltip.
  configError: 'Not loaded; retrying…',
  configErrorLong: 'Configurations could not be loaded; trying again.',
  searchPlaceholder: 'Label, prompt or job ID',
  dateInverted: 'The “From” date must be on or before the “To” date.',
  /** In the filter summary while the date fields hold an inverted range. */
  datesNotApplied: 'The dates entered are not applied: “From” is after “To”.',
  activeFilters: (n) => (n === 0 ? 'No filters: showing every job.' : `${plural(n, 'filter')} active:`),
  chipStatus: (labels) => `Status: ${labels.join(', ')}`,
  chipFrom: (day) => `From ${longDay(day)}`,
  chipTo: (day) => `To ${longDay(day)}`,
  chipConfig: (name) => `Configuration: ${name}`,
  chipSearch: (q) => `Search: ${quoted(q)}`,
  chipRemove: (label) => `Remove filter ${label}`,
  clearAll: 'Clear all',
  cleared: 'Filters cleared.',

  // -- presets -----------------------------------------------------------------------------
  presets: 'Presets',
  presetsEmpty: 'No saved presets yet.',
  presetsLoading: 'Loading presets…',
  presetsError: 'Presets could not be loaded.',
  presetSaveLabel: 'Save current filters as',
  presetSave: 'Save',
  presetNameEmpty: 'Enter a name for the preset.',
  presetSaved: (name) => `Preset ${quoted(name)} saved.`,
  presetApplied: (name) => `Preset ${quoted(name)} applied.`,
  presetDeleted: (name) => `Preset ${quoted(name)} deleted.`,
  presetDelete: (name) => `Delete preset ${name}`,
  presetApply: (name) => `Apply preset ${name}`,

  // -- table -------------------------------------------------------------------------------
  tableTitle: 'Jobs',
  untitled: 'Untitled',
  selectRow: (shortId) => `Select job ${shortId}`,
  selectPage: 'Select all jobs shown',
  openJob: (shortId) => `Open job ${shortId}`,
  renameJob: (label) => `Rename: ${label}`,
  labelInput: (shortId) => `Label of job ${shortId}`,
  labelHint: 'Enter saves, Escape cancels.',
  labelEmpty: 'Enter a label (1–200 characters).',
  labelTooLong: (n) => `A label has at most 200 characters (this one has ${n}).`,
  labelOneLine: (codePoint) => `Label must be one line, without tabs or line breaks (found ${codePoint}).`,
  labelControl: (codePoint) => `Label must not contain control characters (found ${codePoint}).`,
  labelInvisible: (codePoint) => `Label must not contain invisible formatting characters (found ${codePoint}).`,
  renamed: (label) => `Label saved: ${quoted(label)}.`,
  renameFailed: (message) => `Could not rename: ${sentence(message)} The label was restored.`,
  rowActions: (shortId) => `Actions for job ${shortId}`,
  images: (n) => plural(n, 'image'),
  qcPassed: (n) => `${n.toLocaleString('en-US')} ✓`,
  qcFailed: (n) => `${n.toLocaleString('en-US')} ✗`,
  qcCounts: (passed, failed) => `${passed.toLocaleString('en-US')} passed, ${failed.toLocaleString('en-US')} failed quality checks`,
  deletedElsewhere: (n) => `${plural(n, 'job')} deleted elsewhere.`,
  durationLive: 'so far',
  loadingRows: 'Loading jobs…',
  loadingMore: 'Loading…',
  tableError: 'Jobs could not be loaded.',
  emptyTitle: 'No jobs yet.',
  emptyBody: 'Jobs you start appear here, with their status, images and history.',
  emptyAction: 'Start a job',
  noMatchTitle: 'No jobs match these filters.',
  noMatchBody: 'Change or clear the filters to see more jobs.',
  newJobs: (n) => `${plural(n, 'new job')} since this page loaded.`,
  showNewJobs: 'Show them',
  sortBy: (label) => `Sort by ${label}`,
  statusPercent: (label, p) => `${label} ${p}%`,

  // -- selection ---------------------------------------------------------------------------
  selectedCount: (n) => (n === 0 ? 'No jobs selected' : `${plural(n, 'job')} selected`),
  notShown: (n) => `${n.toLocaleString('en-US')} of them not shown here`,
  selectedMatching: (n) => `All ${plural(n, 'matching job')} selected`,
  pageSelected: (n) => `All ${plural(n, 'job')} shown here are selected.`,
  selectAllMatching: (n) => `Select all ${n.toLocaleString('en-US')} matching jobs`,
  allMatchingSelected: (n) => `All ${plural(n, 'job')} matching the filters are selected.`,
  selectionCleared: 'Selection cleared.',
  filterModeEnded: 'The filters changed, so “all matching jobs” is no longer selected.',
  filterModeNarrowed: (n) => `Selection is now ${plural(n, 'job')}: the ones shown, minus the one you unticked.`,

  // -- batch toolbar -----------------------------------------------------------------------
  rerunSelected: 'Rerun Selected',
  exportSelected: 'Export Selected',
  deleteSelected: 'Delete Selected',
  clearSelection: 'Clear Selection',
  rerunQueued: (n) => `${plural(n, 'rerun')} queued, to start in this order.`,
  rerunQueue: ({ queued, running, completed, failed, cancelled }) =>
    `Reruns: ${queued} queued · ${running} running · ${completed} completed${failed ? ` · ${failed} failed` : ''}${cancelled ? ` · ${cancelled} stopped` : ''}`,
  rerunOperation: (done, total) => `Queuing reruns: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`,
  rerunSkipped: (n) => `${plural(n, 'job')} could not be rerun (no longer there).`,
  exportStarting: 'Preparing the export…',
  exportProgress: (done, total, pct) => `Exporting ${done.toLocaleString('en-US')} of ${plural(total, 'job')} (${pct}%)`,
  exportReady: (name) => `Export ready: ${name}. The download has started.`,
  exportSavedTo: (path) => `A copy is saved on the server at ${path}.`,
  exportSaveFailed: (why) => `The export downloaded, but the server could not save its copy in the export folder: ${why}`,
  exportFailed: (message) => `The export failed: ${message}`,
  exportCancelled: 'The export was cancelled.',
  cancelOperation: 'Cancel',
  downloadAgain: 'Download again',
  deleteTitle: (n) => (n === 1 ? 'Delete 1 job?' : `Delete ${n.toLocaleString('en-US')} jobs?`),
  deleteOneTitle: (name) => `Delete job ${quoted(name)}?`,
  /**
   * `running`: how many picked jobs are running and left out of the `n` (they stay
   * selected); null when the page cannot know ("select all N matching").
   */
  deleteBody: (n, running = null) => {
    const gone = n === 1 ? 'Its events and images are removed too.' : 'Their events and images are removed too.';
    const skipped = running === null
      ? (n === 1 ? ' A running job is skipped: stop it first.' : ' Running jobs are skipped: stop them first.')
      : running > 0 ? ` ${plural(running, 'running job')} will be skipped: stop ${running === 1 ? 'it' : 'them'} first.` : '';
    return `${gone} This cannot be undone.${skipped}`;
  },
  /** Every job picked for deletion is running: no dialog, nothing sent. */
  deleteOnlyRunning: (n) => (n === 1
    ? 'The job is running and cannot be deleted: stop it first.'
    : `All ${n.toLocaleString('en-US')} selected jobs are running and cannot be deleted: stop them first.`),
  deleteConfirm: (n) => (n === 1 ? 'Delete 1 job' : `Delete ${n.toLocaleString('en-US')} jobs`),
  deleteKeep: (n) => (n === 1 ? 'Keep it' : 'Keep them'),
  rerunTitle: (n) => (n === 1 ? 'Rerun 1 job?' : `Rerun ${n.toLocaleString('en-US')} jobs?`),
  rerunBody: 'Each one runs again as a new job, with the settings it ran with; the original stays. The new jobs are queued in this order and use the provider like any job.',
  rerunConfirm: (n) => (n === 1 ? 'Rerun 1 job' : `Rerun ${n.toLocaleString('en-US')} jobs`),
  rerunKeep: 'Not now',
  deleted: (n) => `${plural(n, 'job')} deleted.`,
  deleteSkipped: (n, why) => `${plural(n, 'job')} not deleted: ${why}`,
  /** Why the row menu's Delete is off for a job that is running (or storing its images). */
  deleteWhileRunning: 'A running job cannot be deleted: stop it first.',
  countChanged: (message) => `Nothing was done: ${message}`,
  actionFailed: (message) => `That did not work: ${message}`,

  // -- row menu ----------------------------------------------------------------------------
  menuView: 'View',
  menuExport: 'Export',
  menuRerun: 'Rerun',
  menuDelete: 'Delete',
  rerunStarted: (shortId) => `Rerun queued as job ${shortId}.`,

  // -- pagination --------------------------------------------------------------------------
  previous: 'Previous',
  next: 'Next',
  pageOf: (page, pages) => `Page ${page.toLocaleString('en-US')} of ${Math.max(1, pages).toLocaleString('en-US')}`,
  pageLabel: (n) => `Page ${n}`,
  total: (n) => `Total: ${plural(n, 'job')}`,
  totalUnknown: 'Total: —',
  perPage: 'Per page',
  allScroll: 'All (scroll)',
  jumpTo: 'Go to page',
  jump: 'Go',
  jumpRange: (pages) => `Enter a page from 1 to ${pages.toLocaleString('en-US')}.`,
  showing: (from, to, total) => (total ? `Showing ${from.toLocaleString('en-US')}–${to.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}` : ''),
  scrollShowing: (total) => `Scroll through all ${plural(total, 'job')}`,

  // -- single job view ---------------------------------------------------------------------
  modalTitle: 'Single Job View',
  modalLoading: 'Loading job…',
  modalNotFound: 'This job was deleted.',
  modalError: 'This job could not be loaded.',
  infoTitle: 'Job information',
  infoId: 'Job ID',
  infoStatus: 'Status',
  infoConfiguration: 'Configuration',
  infoDuration: 'Duration',
  infoImages: 'Images',
  infoCreated: 'Created',
  infoRerunOf: 'Rerun of',
  statusSince: (label, when) => `${label} since ${when}`,
  statusAt: (label, when) => `${label} at ${when}`,
  noConfiguration: 'None (options set on the job)',
  configVersion: (name, v) => `${name} v${v}`,
  imagesSummary: (generated, passed, failed) =>
    `${plural(generated, 'generated', 'generated')}, ${passed} passed, ${failed} failed`,
  galleryTitle: 'Generated images',
  galleryEmpty: 'No images yet.',
  galleryFilteredEmpty: 'No images with this QC status.',
  galleryError: 'The images could not be loaded.',
  qcFilter: 'QC status',
  qcAll: 'All',
  sortImages: 'Sort by',
  sortIndex: 'Order generated',
  sortDate: 'Date',
  sortQuality: 'Quality',
  approve: 'Approve',
  reject: 'Reject',
  approveImage: (i) => `Approve image ${i}`,
  rejectImage: (i) => `Reject image ${i}`,
  selectImage: (i) => `Select image ${i}`,
  /** A tile's alt text: short (the prompt is in Parameters used), with its verdict. */
  imageAlt: (i, total, qc) => `Image ${i}${total >= i ? ` of ${total}` : ''}, ${
    qc === 'passed' ? 'passed quality checks' : qc === 'failed' ? 'failed quality checks' : 'quality checks pending'}`,
  rejectReason: 'Reason (optional)',
  rejectReasonFor: (i) => `Reason for rejecting image ${i} (optional)`,
  rejectReasonHint: 'Enter rejects, Escape cancels.',
  rejectConfirm: 'Reject',
  rejectConfirmImage: (i) => `Reject image ${i} with this reason`,
  rejectCancel: 'Cancel',
  rejectCancelImage: (i) => `Cancel rejecting image ${i}`,
  tryAgain: 'Try again',
  unreachable: 'the server did not answer. Check that it is running and try again.',
  exportFilesMissing: (n) => `${plural(n, 'image')} could not be exported (file missing or image deleted); manifest.csv in the ZIP lists ${n === 1 ? 'it' : 'them'}.`,
  exportNothing: (n) => `No image was exported: ${n === 1 ? 'its file is' : `the files of all ${n} are`} missing from the data folder (manifest.csv in the ZIP says so).`,
  timelineUnavailable: 'The timeline is not available: the job could not be loaded.',
  reviewed: (i, verdict) => `Image ${i} ${verdict === 'passed' ? 'approved' : 'rejected'}.`,
  reviewFailed: (message) => `The verdict was not saved: ${message}`,
  downloadSelected: (n) => (n ? `Export selected (${n})` : 'Export selected'),
  downloadStarted: (n) => `${plural(n, 'image')} downloading.`,
  qcBy: (source) => (source === 'manual' ? 'by hand' : source === 'auto' ? 'by the checks' : ''),
  logsTitle: 'Logs & timeline',
  errorTitle: 'Error',
  errorDetails: (code, retryable) => `${code} · ${retryable ? 'retryable' : 'not retryable'}`,
  paramsTitle: 'Parameters used',
  viewDetails: 'View Details',
  close: 'Close',
  timelineError: 'The timeline could not be loaded.',
  paramLabels: Object.freeze({
    prompt: 'Prompt', provider: 'Provider', size: 'Size', steps: 'Steps', count: 'Images',
    style: 'Style', seed: 'Seed', model: 'Model', output_format: 'Output format', attempt: 'Attempt',
  }),
  none: '—',

  // -- help --------------------------------------------------------------------------------
  helpTitle: 'Job Management help',
});

/** Spec durations: "2h 15m" in the table. */
export const DURATION_UNITS = Object.freeze({ d: 'd', h: 'h', m: 'm', s: 's' });

/**
 * DOM hooks of the page. The template carries these ids; modules look elements up only
 * through here.
 */
export const JOBS_SEL = Object.freeze({
  main: '#main',
  ready: 'body[data-ready="true"]',
  // header
  refresh: '#jobs-refresh',
  help: '#jobs-help',
  helpDialog: '#help-dialog',
  helpClose: '#help-close',
  systemStatus: '#system-status',
  systemText: '#system-status-text',
  liveStatus: '#live-status',
  serverError: '#jobs-server-error',
  serverRetry: '#jobs-server-retry',
  // stats
  stats: '#stats',
  statCard: (key) => `#stat-${key}`,
  statValue: (key) => `#stat-${key}-value`,
  statDetail: (key) => `#stat-${key}-detail`,
  statsError: '#stats-error',
  statsRetry: '#stats-retry',
  statsScope: '#stats-scope',
  // filters
  filtersForm: '#filters-form',
  statusButton: '#status-button',
  statusButtonText: '#status-button-text',
  statusMenu: '#status-menu',
  statusAll: '#status-all',
  statusOption: 'input[data-status-option]',
  from: '#filter-from',
  to: '#filter-to',
  dateError: '#date-error',
  configuration: '#filter-configuration',
  search: '#filter-search',
  clear: '#filters-clear',
  summary: '#filter-summary',
  summaryText: '#filter-summary-text',
  datesNote: '#filter-dates-note',
  chips: '#filter-chips',
  presetsButton: '#presets-button',
  presetsMenu: '#presets-menu',
  presetsList: '#presets-list',
  presetForm: '#preset-form',
  presetName: '#preset-name',
  presetError: '#preset-error',
  // table
  tableCard: '#jobs-card',
  tableCount: '#table-count',
  scroller: '#jobs-scroller',
  table: '#jobs-table',
  body: '#jobs-body',
  selectPage: '#select-page',
  sortButton: 'button[data-sort]',
  tableError: '#table-error',
  tableErrorText: '#table-error-text',
  tableRetry: '#table-retry',
  empty: '#table-empty',
  emptyTitle: '#table-empty-title',
  emptyBody: '#table-empty-body',
  emptyClear: '#table-empty-clear',
  emptyStart: '#table-empty-start',
  selectNotice: '#select-notice',
  selectNoticeText: '#select-notice-text',
  selectNoticeAction: '#select-notice-action',
  newJobs: '#new-jobs',
  newJobsText: '#new-jobs-text',
  newJobsShow: '#new-jobs-show',
  row: (id) => `#jobs-body tr[data-id="${id}"]`,
  // row menu
  rowMenu: '#row-menu',
  // batch toolbar
  batch: '#batch-toolbar',
  batchCount: '#batch-count',
  batchHidden: '#batch-hidden',
  batchRerun: '#batch-rerun',
  batchExport: '#batch-export',
  batchDelete: '#batch-delete',
  batchClear: '#batch-clear',
  batchProgress: '#batch-progress',
  batchProgressBar: '#batch-progress-bar',
  batchProgressText: '#batch-progress-text',
  batchProgressCancel: '#batch-progress-cancel',
  rerunQueue: '#rerun-queue',
  // pagination
  pagination: '#pagination',
  pagePrev: '#page-prev',
  pageNext: '#page-next',
  pageNumbers: '#page-numbers',
  pageOf: '#page-of',
  pageSize: '#page-size',
  jumpForm: '#jump-form',
  jumpInput: '#jump-input',
  jumpError: '#jump-error',
  pageTotal: '#page-total',
  pageShowing: '#page-showing',
  // confirm dialog
  confirmDialog: '#jobs-confirm',
  confirmTitle: '#jobs-confirm-title',
  confirmBody: '#jobs-confirm-body',
  confirmOk: '#jobs-confirm-ok',
  confirmKeep: '#jobs-confirm-keep',
  // single job view
  modal: '#job-modal',
  modalName: '#modal-name',
  modalClose: '#modal-close',
  modalDetails: '#modal-details',
  modalExport: '#modal-export',
  modalRerun: '#modal-rerun',
  modalDelete: '#modal-delete',
  modalBody: '#modal-body',
  modalError: '#modal-error',
  modalErrorText: '#modal-error-text',
  modalRetry: '#modal-retry',
  modalInfo: '#modal-info',
  modalOperation: '#modal-operation',
  galleryQc: '#gallery-qc',
  gallerySort: '#gallery-sort',
  galleryGrid: '#gallery-grid',
  gallerySelectAll: '#gallery-select-all',
  galleryExport: '#gallery-export',
  galleryStatus: '#gallery-status',
  modalJobError: '#modal-job-error',
  modalJobErrorText: '#modal-job-error-text',
  modalJobErrorMeta: '#modal-job-error-meta',
  modalParams: '#modal-params',
  logTable: '#modal-log',
  logBody: '#modal-log-body',
  logWrap: '#modal-log-wrap',
  logSummary: '#modal-log-summary',
});
