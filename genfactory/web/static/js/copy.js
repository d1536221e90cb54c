/**
 * Every user-visible string and every DOM hook of the pages, in one place.
 *
 * The strings quoted by specs/realtime-progress.md are kept verbatim (the e2e tests
 * assert them). Functions build the strings that carry a number.
 *
 * @module copy
 */

export const PROMPT_MAX = 2000;

export const STATUS_LABELS = Object.freeze({
  queued: 'Queued',
  running: 'Running',
  uploading: 'Uploading',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
});

/** The stepper's steps, in order (failed and cancelled mark the step they stopped at). */
export const STEPS = Object.freeze(['queued', 'running', 'uploading', 'completed']);

export const MODE_LABELS = Object.freeze({ ws: 'WS', sse: 'SSE', poll: 'Poll' });
export const MODE_NAMES = Object.freeze({
  ws: 'WebSocket',
  sse: 'Server-Sent Events',
  poll: 'polling',
});

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const secondsRange = (min, max) => (min === max ? plural(min, 'second') : `${min}–${max} seconds`);

export const COPY = Object.freeze({
  // -- shared ------------------------------------------------------------------------
  serverUnavailable: 'Server unavailable.',
  serverUnavailableHelp:
    'Gen Image Factory did not answer. Check that the server is running, then try again.',
  /** The Home form's error callout titles: the server refused the request (4xx), or it
   *  answered with an error of its own (5xx: not "unavailable", it did answer). */
  requestRefused: 'The server refused this request.',
  serverError: 'The server ran into an error.',
  serverErrorHelp: (status) => `Gen Image Factory answered with an error (HTTP ${status}). Try again in a moment.`,
  promptKept: 'Your prompt and options are kept.',
  tryAgain: 'Try again',
  themeToDark: 'Switch to dark theme',
  themeToLight: 'Switch to light theme',
  copied: 'Copied to the clipboard.',
  copyFailed: 'Could not copy. Select the text and copy it yourself.',
  dismiss: 'Dismiss',

  // -- start generation ----------------------------------------------------------------
  promptEmpty: 'Enter a prompt to describe the image you want.',
  promptTooLong: (n) => `The prompt is too long: ${n} of ${PROMPT_MAX} characters. Shorten it to submit.`,
  promptCount: (n) => `${n} / ${PROMPT_MAX}`,
  stepsRange: (min, max) => `Steps must be a whole number from ${min} to ${max}.`,
  generate: 'Generate',
  generating: 'Generating…',
  formRejected: 'The server refused this request.',
  recentEmpty: 'No jobs yet. Your last five jobs appear here.',
  recentError: 'Recent jobs could not be loaded.',
  providerUnavailable: (title, why) => `${title} is unavailable${why ? `: ${why}` : '.'}`,
  styleNone: 'No style',

  // -- generation progress: connection -------------------------------------------------
  tooltip: 'WS preferred; auto fallback enabled.',
  connecting: 'Connecting…',
  connectingVia: (mode) => `Trying ${MODE_NAMES[mode] ?? mode} first; falls back to Server-Sent Events, then polling.`,
  connectingNext: (mode) => `Trying ${MODE_NAMES[mode] ?? mode}…`,
  live: 'Live',
  updatedAgo: (seconds) => (seconds < 1 ? 'updated just now' : `updated ${formatSeconds(seconds)} ago`),
  notConnected: 'Not connected',
  /** The polling cadence as a range (min–max seconds), not the interval of the moment: it
   *  moves with every poll (longer while nothing happens, back to the minimum on an event),
   *  and a figure that keeps changing reads as noise. */
  degraded: (min, max) => `Live updates unavailable, using polling every ${secondsRange(min, max)}.`,
  /** Polling the person chose over a working stream: live updates are not unavailable. */
  pollingChosen: (min, max) => `Polling every ${secondsRange(min, max)}.`,
  pollingShort: (min, max) => `Polling every ${min === max ? min : `${min}–${max}`} s`,
  /** The stream blocked, polling started on its own: what "Switch to polling" adds to it. */
  blockedPolling:
    'Polling started on its own; the live stream is tried again if the network reconnects. Switch to polling to stay on polling even then.',
  networkLost: 'Connection lost. Switching to polling.',
  reconnectIn: (seconds, attempt) =>
    `Reconnecting in ${plural(seconds, 'second')} (attempt ${attempt}). Updates continue by polling meanwhile.`,
  /** …when the polls meanwhile get no answer either: nothing continues. */
  reconnectInUnreachable: (seconds, attempt) =>
    `The server cannot be reached, so no updates arrive. Reconnecting in ${plural(seconds, 'second')} (attempt ${attempt}).`,
  serverUnreachable: 'The server cannot be reached right now, so no updates arrive.',
  offline: 'This device is offline. Updates resume as soon as the network is back.',
  offlineShort: 'Offline',
  reconnectingNow: (attempt) => `Reconnecting now (attempt ${attempt})…`,
  reconnectingShort: (seconds) => `Reconnecting in ${seconds} s`,
  streamBlocked: 'Real-time stream unavailable in this network.',
  manualPolling: 'You switched to polling. Live streaming can be tried again at any time.',
  restored: 'Live updates restored.',
  reconnectNow: 'Reconnect now',
  switchToPolling: 'Switch to polling',
  tryStreamAgain: 'Try SSE/WS again',

  // -- generation progress: job --------------------------------------------------------
  attempt: (n, m) => `Attempt ${n}/${m}`,
  statusAnnouncement: (label) => `Status: ${label}.`,
  completedTitle: 'Generation completed.',
  completedBody: (n) => `${plural(n, 'image')} ready. Download, open or copy the URL below.`,
  /** The completed banner once the images' QC verdicts are known: what is ready is not
   *  all usable ("16 images ready · 3 failed quality checks"). A replaced image counts as
   *  replaced, not as failed or ready: its replacement is the one that counts. */
  completedQcBody: (n, { failed, pending, replaced }) => [
    `${plural(n - replaced, 'image')} ready`,
    failed ? `${failed.toLocaleString('en-US')} failed quality checks` : '',
    replaced ? `${replaced.toLocaleString('en-US')} replaced` : '',
    pending ? `${pending.toLocaleString('en-US')} awaiting quality checks` : '',
  ].filter(Boolean).join(' · ').concat('. Download, open or copy the URL below.'),
  throttled: 'Generation is throttled or timed out. You can retry.',
  throttledWait: 'Wait a minute before retrying: the provider may still be limiting requests.',
  retryAfter: (seconds) => `The provider asked to wait ${plural(Math.ceil(seconds), 'second')} before retrying.`,
  timedOutWait: 'The provider did not answer in time. Wait a moment before retrying; if it keeps timing out, try fewer steps or a smaller size.',
  rejected: 'Your prompt was rejected. Please edit and retry.',
  rejectedWhy: 'Retrying the same prompt would fail the same way, so retry is disabled.',
  failedTitle: 'Generation failed.',
  failedRetryableBody: 'This error may be temporary. Retry with the same prompt and settings.',
  failedFinalTitle: 'Generation failed and cannot be retried as it is.',
  failedFinalBody: 'Change the prompt or the settings and start a new job.',
  authTitle: 'Generation failed: the provider refused the API key.',
  authBody: 'Check the provider’s API key in Settings, then retry.',
  openSettings: 'Open Settings',
  reason: (message) => `Reason: ${message}`,
  retryable: (yes) => (yes ? 'Retryable: yes.' : 'Retryable: no.'),
  /** A refused key: retrying as it is fails the same way; once the key is fixed it works. */
  retryableAfterKey: 'Retryable: after you fix the API key.',
  attemptsUsed: (n, m) => `${plural(n, 'attempt')} of ${m} used.`,
  autoRetryTitle: (message) => `Attempt failed: ${message}`,
  autoRetryBody: (n, m, seconds) =>
    seconds > 0
      ? `Attempt ${n}/${m} starts automatically in ${plural(seconds, 'second')}.`
      : `Attempt ${n}/${m} starts automatically.`,
  cancelledTitle: 'Cancelled',
  cancelledBody: 'This job was cancelled. The last known progress is shown below.',
  retryGeneration: 'Retry generation',
  editRestart: 'Edit prompt & restart',
  /** A manual retry gives the job a new budget of attempts on top of those used: say so,
   *  or "Attempt 3/3" becoming "Attempt 4/6" looks like a glitch. */
  retryRequested: (n, m) => `Retry requested: attempt ${n} queued, up to ${m} in all.`,
  cancelRequested: 'The job was cancelled.',
  /** The cancel dialog was open when the job ended on its own. */
  alreadyFinished: (status) => `Nothing to cancel: the job has already ${status === 'completed' ? 'completed' : status === 'failed' ? 'failed' : 'been cancelled'}.`,
  actionFailed: (message) => `That did not work: ${message}`,
  notFoundTitle: 'Job not found',
  pillGone: 'Not found',
  pillNotLoaded: 'Not loaded',
  pillLoading: 'Loading…',
  notFoundBody: 'There is no job with this id. It may have been deleted, or the link is wrong.',
  loadErrorTitle: 'This job could not be loaded.',

  // -- progress panel ------------------------------------------------------------------
  waitingPreview: 'Waiting for first preview…',
  noImage: (status) => (status === 'cancelled'
    ? 'No image was generated: the job was cancelled before its first preview.'
    : status === 'failed'
      ? 'No image was generated: the job failed before its first preview.'
      : 'No image was generated.'),
  previewAlt: (step) => (step ? `Preview of the image being generated, step ${step}` : 'Preview of the image being generated'),
  finalAlt: (i, n, prompt) => `Generated image ${i} of ${n}: ${prompt}`,
  thumbLabel: (i) => `Show image ${i}`,
  // The wording of the Single Job View's gallery (copy-jobs.js QC_LABELS, GALLERY_COPY).
  qcLabels: Object.freeze({ passed: 'Passed', failed: 'Failed', pending: 'Pending', replaced: 'Replaced' }),
  /** What the selected image's verdict says, under the thumbnails. */
  qcVerdict: (i, qc, reason) => (qc === 'passed' ? `Image ${i} passed quality checks.`
    : qc === 'failed' ? `Image ${i} failed quality checks${reason ? `: ${reason}${/[.!?]$/.test(reason) ? '' : '.'}` : '.'}`
      : `Image ${i}: quality checks pending.`),
  qcByHand: 'Reviewed by hand.',
  qcRegenerating: (i) => `Image ${i} is being regenerated; the new image appears here when it is ready.`,
  qcPlaceholder: (i) => `New image for #${i}`,
  regeneratedAs: (n, m, qc) => `Image ${n} regenerated as image ${m}: ${qc === 'passed' ? 'passed its checks' : qc === 'failed' ? 'failed its checks' : 'checks pending'}.`,
  queuePosition: (n) => (n === 1 ? 'Next in the queue.' : `Position ${n} in the queue.`),
  eta: (seconds) => `About ${formatSeconds(seconds)} left.`,
  percent: (p) => `${formatPercent(p)} %`,
  progressNone: 'Not started yet.',
  progressQueuedAgain: 'Queued again: waiting for a worker.',
  progressRetryWait: 'Waiting before the next attempt.',
  lastProgress: (p) => `Stopped at ${formatPercent(p)} %.`,
  stepDone: 'done',
  stepCurrent: 'current',
  stepFailed: 'failed here',
  stepCancelled: 'cancelled here',
  download: 'Download',
  open: 'Open',
  copyUrl: 'Copy URL',
  urlCopied: 'Image URL copied.',

  // -- event log -----------------------------------------------------------------------
  earlierEvents: (n) => `${plural(n, 'earlier event')} not shown.`,
  loadEarlier: 'Load earlier events',
  loadingEarlier: 'Loading earlier events…',
  earlierLoaded: (n, first, last, more) =>
    `Loaded ${plural(n, 'earlier event')} (${first}–${last}).${more ? '' : ' This is the start of the log.'}`,
  earlierNone: 'No earlier events to load.',
  earlierFailed: 'Earlier events could not be loaded. Try again.',
  logEmpty: 'No events yet.',
  previewEvent: (v, step) => (step ? `Preview ${v} (step ${step})` : `Preview ${v}`),
  imageEvent: (i, w, h) => `Image ${i} stored (${w}×${h})`,
  labelEvent: (label) => (label ? `Renamed to “${label}”` : 'Label removed'),
  qcEvent: (i, status, reason) => `Image ${i} ${status === 'passed' ? 'approved' : status === 'failed' ? 'rejected' : 'reset to pending'} by a reviewer${reason ? `: ${reason}` : ''}`,
  hasPreview: 'Has a preview image',

  // -- cancel dialog -------------------------------------------------------------------
  cancelKeep: 'Keep generating',

  // -- footer --------------------------------------------------------------------------
  debugCopied: 'Debug info copied.',
});

/** @param {number} seconds */
export function formatSeconds(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** @param {number} p */
export function formatPercent(p) {
  const value = Number(p) || 0;
  return value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}

/**
 * DOM hooks. Templates carry these ids; modules look elements up only through here.
 */
export const SEL = Object.freeze({
  announcer: '#announcer',
  toasts: '#toasts',
  themeToggle: '#theme-toggle',

  // start generation
  form: '#generate-form',
  prompt: '#prompt',
  promptCount: '#prompt-count',
  promptError: '#prompt-error',
  provider: '#provider',
  providerField: '#provider-field',
  size: '#size',
  steps: '#steps',
  stepsHint: '#steps-hint',
  style: '#style',
  optionsStatus: '#options-status',
  fieldError: (name) => `#${name}-error`,
  formError: '#form-error',
  formErrorText: '#form-error-text',
  serverError: '#server-error',
  serverRetry: '#server-retry',
  generate: '#generate',
  clear: '#clear',
  examples: '[data-example]',
  recent: '#recent-jobs',

  // generation progress
  main: '#main',
  jobView: '#job-view',
  notFound: '#not-found',
  loadError: '#load-error',
  loadErrorText: '#load-error-text',
  loadRetry: '#load-retry',
  statusPill: '#status-pill',
  attempt: '#attempt',
  transportChip: '#transport-chip',
  transportMode: '#transport-mode',
  liveIndicator: '#live-indicator',
  actionReconnect: '#action-reconnect',
  actionPoll: '#action-poll',
  actionCancel: '#action-cancel',
  connBanner: '#conn-banner',
  jobBanner: '#job-banner',
  stepper: '#stepper',
  progressBar: '#progress-bar',
  progressLabel: '#progress-label',
  progressDetail: '#progress-detail',
  logSummary: '#log-summary',
  logWrap: '#log-wrap',
  logTable: '#event-log',
  logBody: '#event-log-body',
  preview: '#preview',
  previewStage: '#preview-stage',
  previewPlaceholder: '#preview-placeholder',
  previewCaption: '#preview-caption',
  results: '#results',
  thumbs: '#thumbs',
  download: '#download',
  open: '#open-image',
  copyUrl: '#copy-url',
  resultQc: '#result-qc',
  details: '#job-details',
  cancelDialog: '#cancel-dialog',
  cancelConfirm: '#cancel-confirm',
  cancelKeep: '#cancel-keep',
  copyDebug: '#copy-debug',
  debugInfo: '#debug-info',
  debugSummary: '#debug-summary',
});

// ==== Configurations, Settings, and the Start page's configuration (appended) ==========

const quoted = (name) => `“${name}”`;
/** "Access token" → "access token", but "API key" stays. */
const lowerFirst = (text) => (/^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text);

export const CONFIG_COPY = Object.freeze({
  // list
  count: (n) => plural(n, 'configuration'),
  listEmpty: 'No configurations yet.',
  listEmptyHelp:
    'A configuration saves a provider, size, steps, style, count, output format and quality checks under a name, so that jobs can reuse them.',
  createFirst: 'Create a configuration',
  listError: 'Configurations could not be loaded.',
  /** label of each value in a row at phone widths (the column headers are hidden there) */
  columns: Object.freeze(['Name', 'Version', 'Provider', 'Size', 'Steps', 'Style', 'Count', 'Jobs', 'Last saved', 'Actions']),
  version: (v) => `v${v}`,
  versionLong: (v) => `Version ${v}`,
  defaultValue: 'default',
  edit: 'Edit',
  duplicate: 'Duplicate',
  delete: 'Delete',
  startJob: 'Start a job',
  /** visually hidden after a row's action, so each button has its own name */
  forName: (name) => ` ${name}`,
  startJobFor: (name) => ` with configuration ${name}`,

  // editor
  editorNew: 'New configuration',
  editorEdit: (name) => `Edit ${quoted(name)}`,
  editorDuplicate: (name, v) => `Duplicate ${quoted(name)} (version ${v})`,
  leadNew: 'It is saved as version 1. Jobs started from it take these settings; an option set on the job itself wins.',
  leadEdit: (next) =>
    `Saving creates version ${next}. Earlier versions stay as they were, and every job keeps the version it ran with.`,
  leadLoaded: (v, next) => `The form shows version ${v}. Saving creates version ${next}.`,
  leadDuplicate: 'The copy is saved under a new name as version 1; the original does not change.',
  saveNew: 'Create configuration',
  saveVersion: (v) => `Save as version ${v}`,
  saveDuplicate: 'Create copy',
  saving: 'Saving…',
  created: (name) => `Created ${quoted(name)} (version 1).`,
  saved: (name, v) => `Saved ${quoted(name)} as version ${v}.`,
  nameHintNew: 'Up to 100 characters. Jobs and the Start page refer to it by this name.',
  nameHintEdit: 'A name cannot be changed. To use another name, duplicate it.',
  nameEmpty: 'Enter a name.',
  nameTooLong: 'Use at most 100 characters.',
  nameTaken: (name) => `A configuration named ${quoted(name)} exists. Edit it to save a new version, or choose another name.`,
  nameUnusable: 'A name cannot contain “/” or be “.” or “..”: the server could not find it again to edit or delete it.',
  copyName: (name, n) => (n > 1 ? `${name} copy ${n}` : `${name} copy`),
  providerOption: (title, available) => (available ? title : `${title} (unavailable)`),
  providersError: 'The providers could not be loaded, so size, steps and style cannot be chosen yet.',
  providerDefault: 'Provider’s default',
  stepsHint: (min, max, def) => `${min}–${max}. Empty: the provider’s default (${def}).`,
  countRange: 'Count must be a whole number from 1 to 16.',
  thresholdRange: (label, { min, max, above, integer }) => {
    const kind = integer ? 'a whole number' : 'a number';
    if (above !== null && max !== null) return `${label} must be ${kind} more than ${above} and at most ${max}.`;
    if (min !== null && max !== null) return `${label} must be ${kind} from ${min} to ${max}.`;
    if (min !== null) return `${label} must be ${kind} of at least ${min}.`;
    return `${label} must be ${kind}.`;
  },
  qcOff: 'No check is ticked: images of jobs using this configuration are not checked.',
  fixFields: (n) => (n === 1 ? 'One field needs attention.' : `${n} fields need attention.`),
  conflictTitle: 'Not saved.',
  staleTitle: 'Not saved: someone else saved a newer version.',
  formKept: 'The form keeps your changes.',
  editMissing: (name) => `Configuration ${quoted(name)} was not found. It may have been renamed or deleted.`,
  editMissingId: (id) => `No configuration is named ${quoted(id)}, and no version has that id.`,

  // history
  historyTitle: 'Version history',
  historyNew: 'Versions appear here once the configuration is saved. Each save adds one; none is ever changed.',
  historyError: 'The version history could not be loaded.',
  newest: 'newest',
  inForm: 'in the form',
  loadVersion: 'Load into form',
  versionHidden: (v) => ` version ${v}`,

  // delete
  deleteTitle: (name) => `Delete ${quoted(name)}?`,
  deleteUsed: (n) => `The list says ${plural(n, 'job')} used it, so the server will probably refuse.`,
  deleted: (name) => `Deleted ${quoted(name)}.`,
  deleteRefused: (name) => `${quoted(name)} was not deleted.`,
  deleteGone: (name) => `${quoted(name)} was already deleted (elsewhere).`,
  deleteDefault: 'It is the default for new jobs; the Start page will no longer use it.',

  // summaries
  summarySteps: (n) => `${n} steps`,
  summaryCount: (n) => plural(n, 'image'),
  qcSummary: (checks) => (checks === null ? 'default checks' : checks.length ? checks.join(', ') : 'off'),

  // the Start page
  usingTitle: (name, v) => `Using configuration ${quoted(name)}, version ${v}.`,
  usingBody: 'Its settings fill the options below; an option you change here applies to this job only.',
  usingLoading: (name) => `Loading configuration ${quoted(name)}…`,
  usingMissing: (name) => `Configuration ${quoted(name)} was not found. It may have been deleted; the job will use the options below.`,
  usingError: (name) => `Configuration ${quoted(name)} could not be loaded; the job will still use it.`,

  // the editor's provider left open, a version's changes, a long description, a refused delete
  providerServerDefault: 'Server default',
  changed: (changes) => `Changed: ${changes.join(', ')}`,
  unchangedFromPrevious: 'Same settings as the version before.',
  showMore: 'Show more',
  showLess: 'Show less',
  jobsUsingAny: 'Show the jobs using it',
  saveUnchanged: 'Change something to save a new version.',
});

export const SETTINGS_COPY = Object.freeze({
  loadError: 'Settings could not be loaded.',
  available: 'Available',
  unavailable: 'Unavailable',
  noSecrets: 'Needs no key or token.',
  secretLabels: Object.freeze({ api_key: 'API key', token: 'Access token' }),
  sourceKeyring: 'Stored in the OS keyring.',
  sourceEnv: 'Set by the environment variable',
  sourceUnset: 'Not set.',
  readsFrom: 'Read from the OS keyring, else from',
  or: 'or',
  storeLabel: (label) => `New ${lowerFirst(label)}`,
  store: 'Store in keyring',
  storing: 'Storing…',
  remove: 'Remove from keyring',
  storeEmpty: (label) => `Enter the ${lowerFirst(label)} to store.`,
  stored: (label) => `${label} stored in the OS keyring.`,
  removed: (label) => `${label} removed from the OS keyring.`,
  notStoredTitle: 'The key was NOT stored.',
  notStoredBody: 'Nothing was saved, and the field was emptied.',
  keyringNoneBody:
    'Keys typed on this page cannot be stored here. Set each provider’s environment variable (named below) for the server, then restart it.',
  secretHintNoKeyring: (vars) =>
    `To use a key, set ${vars.join(' or ')} in the server’s environment and restart it (this machine has no OS keyring to store one typed here).`,
  secretHintKeyring: 'Stored in the OS keyring of the server’s machine, never in the database, logs or exports.',
  testConnection: 'Test connection',
  testing: 'Testing…',
  testOk: 'Connection OK.',
  testFailed: 'Connection failed.',
  /** The availability pill after a failed test, until a test succeeds or the page reloads. */
  connectionFailed: 'Connection failed',
  testError: (message) => `The test could not run: ${message}`,
  dbNames: Object.freeze({ sqlite: 'SQLite', postgresql: 'PostgreSQL' }),
  keyringUsable: (backend) => `Available (${backend})`,
  keyringNone: 'None on this machine',
  copyPath: 'Copy the data folder’s path',
  unknown: 'Unknown',
  factsLoadError: 'This server’s details could not be loaded.',
  refreshFailed: 'Could not refresh: the page still shows what it loaded before.',
  /** A test of a provider the server has no settings for: nothing was tried. */
  notConfigured: (what) => (what ? `Not configured: ${what}.` : 'Not configured.'),
  noAttempt: 'No connection was attempted.',
});

/** DOM hooks of the Configurations and Settings pages and of the Start page's notice. */
export const ADMIN_SEL = Object.freeze({
  // configurations: page and list
  configNew: '#config-new',
  configServerError: '#config-server-error',
  configServerRetry: '#config-server-retry',
  configListStatus: '#config-list-status',
  configListError: '#config-list-error',
  configListErrorText: '#config-list-error-text',
  configList: '#config-list',
  configCount: '#config-count',
  // editor
  configWorkspace: '#config-workspace',
  configEditorTitle: '#config-editor-title',
  configEditorLead: '#config-editor-lead',
  configForm: '#config-form',
  configField: (name) => `#cfg-${name}`,
  configFieldError: (name) => `#cfg-${name}-error`,
  configFieldHint: (name) => `#cfg-${name}-hint`,
  configQcCheck: '[data-qc-check]',
  configQcThreshold: '[data-qc-threshold]',
  configQcStatus: '#cfg-qc-status',
  configProvidersNote: '#cfg-providers-note',
  configFormError: '#cfg-form-error',
  configFormErrorTitle: '#cfg-form-error-title',
  configFormErrorText: '#cfg-form-error-text',
  configSave: '#cfg-save',
  configCancel: '#cfg-cancel',
  configStartLink: '#cfg-start',
  // version history
  configVersions: '#config-versions',
  // delete dialog
  deleteDialog: '#config-delete-dialog',
  deleteTitle: '#config-delete-title',
  deleteUsed: '#config-delete-used',
  deleteConfirm: '#config-delete-confirm',
  deleteKeep: '#config-delete-keep',

  // settings
  settingsServerError: '#settings-server-error',
  settingsServerRetry: '#settings-server-retry',
  keyringCallout: '#keyring-callout',
  keyringReason: '#keyring-reason',
  providerList: '#provider-list',
  serverFacts: '#server-facts',

  // the Start page's configuration notice
  configNotice: '#configuration-notice',
  configNoticeTitle: '#configuration-notice-title',
  configNoticeText: '#configuration-notice-text',
  configNoticeSummary: '#configuration-notice-summary',
  configNoticeClear: '#configuration-clear',
  configNoticeEdit: '#configuration-edit',
});

/** The Single Job View gallery's regenerate and one-ZIP export (jobs/gallery.js). */
export const GALLERY_COPY = Object.freeze({
  /** A finished job (failed, cancelled) that stored no image: none will come. */
  noneGenerated: (status) => (status === 'cancelled'
    ? 'No images were generated: the job was cancelled before its first image.'
    : status === 'failed'
      ? 'No images were generated: the job failed before its first image.'
      : 'No images were generated.'),
  regenerate: 'Regenerate',
  regenerateImage: (n) => `Regenerate image ${n}`,
  regenerating: 'Regenerating…',
  regeneratingImage: (n) => `Regenerating image ${n}`,
  regenerateBusy: 'The job is busy: wait until it has completed to regenerate another image.',
  regenerateQueued: (n, seed) => `Regenerating image ${n} with seed ${seed}. The new image appears here when it is ready.`,
  regenerateFailed: (message) => `Could not regenerate: ${message}`,
  regeneratedAs: (n, m, qc) => `Image ${n} regenerated as image ${m}: ${qc === 'passed' ? 'passed its checks' : qc === 'failed' ? 'failed its checks' : 'checks pending'}.`,
  regenerationGaveUp: (n, message) => `Regenerating image ${n} failed: ${message}`,
  regenerationCancelled: (n) => `Regenerating image ${n} was cancelled.`,
  regeneratedFrom: (n) => `Regenerated from #${n}`,
  replacedBy: (m) => `Replaced by #${m}`,
  placeholder: (n) => `New image for #${n}`,
  placeholderAlt: (n) => `Image ${n} is being regenerated`,
  exportPreparing: (n) => `Preparing a ZIP of ${plural(n, 'image')}…`,
  exportProgress: (pct) => `Downloading… ${pct}%`,
  exportBusy: 'Preparing ZIP…',
  exportDone: (n) => `ZIP of ${plural(n, 'image')} downloaded.`,
  exportMissing: (n) => `${plural(n, 'image')} could not be found; manifest.csv in the ZIP lists them.`,
  exportFailed: (message) => `The export failed: ${message}`,
});
