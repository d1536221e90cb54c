/**
 * What the progress page knows about one job: built from the snapshot (GET /api/jobs/{id})
 * and moved forward by each event of its log (docs/events.md). No DOM here.
 *
 * `stateSeq` is the seq the model reflects. Events at or below it (the history rows, or
 * events that raced a snapshot returned by cancel/retry) are shown in the log but do not
 * change the model: the snapshot already includes them.
 *
 * `run` keeps what the newest attempt that actually started got to. An automatic retry
 * re-queues the job with the next attempt number and no progress; cancelled during that
 * wait, the job's last known progress is the earlier attempt's, not "attempt 2 at 0 %".
 *
 * @module lib/job-model
 */

import { COPY } from '../copy.js';

export const ACTIVE = new Set(['running', 'uploading']);
export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
export const CANCELLABLE = new Set(['queued', 'running', 'uploading']);
/** Error codes the spec calls "rate limit / timeout". */
export const THROTTLE_CODES = new Set(['rate_limited', 'timeout']);

const STAGE_ORDER = ['queued', 'running', 'uploading', 'completed'];

/** @param {string | null | undefined} iso */
const ms = (iso) => (iso ? Date.parse(iso) : null);

/**
 * @param {any} job JobPublic
 */
export function modelFromSnapshot(job) {
  const progress = job.progress ?? {};
  let reached = STAGE_ORDER.includes(job.status) ? job.status : progress.stage;
  if (!STAGE_ORDER.includes(reached)) reached = job.started_at ? 'running' : 'queued';
  const model = {
    id: job.id,
    shortId: job.short_id ?? String(job.id).slice(0, 8),
    status: job.status,
    prompt: job.prompt,
    label: job.label ?? null,
    provider: job.provider,
    params: job.params ?? {},
    configuration: job.configuration?.name ?? null,
    attempt: job.attempt,
    maxAttempts: job.max_attempts,
    /** @type {{code: string, message: string, retryable: boolean, retry_after?: number | null} | null} */
    error: job.error ?? null,
    reason: '',
    progress: {
      stage: progress.stage ?? job.status,
      percent: Number(progress.percent) || 0,
      step: progress.step ?? null,
      total: progress.total ?? null,
      message: progress.message ?? '',
    },
    reachedStage: reached,
    queuePosition: job.queue_position ?? null,
    etaSeconds: job.eta_seconds ?? null,
    /** epoch ms on the client clock, for the snapshot's ETA */
    etaAt: Date.now(),
    runAfter: ms(job.run_after),
    // When this attempt began running: the page estimates time left from the progress
    // events that follow, also when it opened mid-run and never saw the "running" event.
    runningSince: job.status === 'running' ? ms(job.status_changed_at) : null,
    previewUrl: job.links?.preview ?? null,
    previewStep: null,
    previewSize: null,
    imageCount: job.image_count ?? 0,
    createdAt: job.created_at,
    startedAt: job.started_at,
    finishedAt: job.finished_at,
    durationSeconds: job.duration_seconds ?? null,
    stateSeq: job.last_seq ?? 0,
    /** The highest seq seen (snapshot or event). */
    lastSeq: job.last_seq ?? 0,
    lastEventTime: null,
    /** @type {{attempt: number, progress: any, reachedStage: string} | null} */
    run: null,
  };
  // A cancelled snapshot does not say whether its attempt ever started: see recallLastRun.
  if (ACTIVE.has(job.status) || job.status === 'failed') model.run = runOf(model);
  return model;
}

/** @param {{attempt: number, progress: any, reachedStage: string}} model */
const runOf = (model) => ({ attempt: model.attempt, progress: model.progress, reachedStage: model.reachedStage });

/**
 * A job cancelled before its current attempt started (in an automatic retry's wait)
 * shows the attempt that ran instead: its number, progress and stage.
 * @param {JobModel} model
 */
function showLastRun(model) {
  const run = model.run;
  if (model.status !== 'cancelled' || !run || run.attempt >= model.attempt) return;
  model.attempt = run.attempt;
  model.progress = { ...run.progress };
  model.reachedStage = run.reachedStage;
}

/**
 * A fresh snapshot (after cancel, retry or a reset) knows nothing of earlier attempts:
 * keep what the model it replaces knew.
 * @param {JobModel} model  from modelFromSnapshot
 * @param {JobModel | null} previous  the model it replaces
 */
export function keepLastRun(model, previous) {
  if (!model.run && previous?.id === model.id && previous.run) model.run = previous.run;
  showLastRun(model);
}

/**
 * Learn the last attempt that ran from the log (the history rows the page loads with the
 * snapshot), for a page opened after the job was cancelled. Only runs whose start is in
 * `events` are found.
 * @param {JobModel} model
 * @param {any[]} events envelopes, in seq order
 */
export function recallLastRun(model, events) {
  if (model.run) return;
  const replay = { ...model, status: 'queued', run: null, stateSeq: 0, lastSeq: 0, progress: { ...model.progress } };
  for (const event of events) if (event.seq <= model.stateSeq) applyEvent(replay, event);
  model.run = replay.run;
  showLastRun(model);
}

/**
 * The time of the newest event in ``events`` (the log loaded with the page), unless a live
 * event already set one: what "Copy debug info" reports as the last event's time.
 * @param {any} model
 * @param {any[]} events
 */
export function recallLastEventTime(model, events) {
  const newest = events[events.length - 1];
  if (model.lastEventTime === null && newest?.time) model.lastEventTime = newest.time;
}

/** @typedef {ReturnType<typeof modelFromSnapshot>} JobModel */

/**
 * Move the model forward by one event. Returns what changed ('status', 'progress',
 * 'preview', 'image', 'error'), or an empty set for events the model already includes.
 * @param {JobModel} model
 * @param {any} event the envelope
 * @returns {Set<string>}
 */
export function applyEvent(model, event) {
  const changed = new Set();
  if (typeof event?.seq !== 'number') return changed;
  model.lastSeq = Math.max(model.lastSeq, event.seq);
  if (event.seq <= model.stateSeq) return changed;
  model.stateSeq = event.seq;
  model.lastEventTime = event.time;
  const data = event.data ?? {};
  switch (event.type) {
    case 'status': {
      model.status = data.status;
      model.attempt = data.attempt ?? model.attempt;
      model.maxAttempts = data.max_attempts ?? model.maxAttempts;
      model.reason = data.reason ?? '';
      model.error = data.error ?? (data.status === 'failed' ? model.error : null);
      model.runAfter = ms(data.run_after);
      model.queuePosition = null;
      model.etaSeconds = null;
      if (STAGE_ORDER.includes(data.status)) model.reachedStage = data.status;
      if (data.status === 'running') {
        model.runningSince = ms(event.time);
        model.startedAt = model.startedAt ?? event.time;
      }
      if (data.status === 'queued') {
        model.progress = { stage: 'queued', percent: 0, step: null, total: null, message: '' };
      }
      if (TERMINAL.has(data.status)) model.finishedAt = event.time;
      else model.finishedAt = null;
      if (data.status === 'completed') model.progress.percent = 100;
      showLastRun(model);
      changed.add('status');
      break;
    }
    case 'progress': {
      model.progress = {
        stage: data.stage ?? model.progress.stage,
        percent: Number(data.percent) || 0,
        step: data.step ?? null,
        total: data.total ?? null,
        message: data.message ?? '',
      };
      if (STAGE_ORDER.includes(data.stage) && !TERMINAL.has(model.status)) model.reachedStage = data.stage;
      if (model.runningSince !== null && model.progress.percent > 0 && model.progress.percent < 100) {
        const elapsed = (ms(event.time) - model.runningSince) / 1000;
        model.etaSeconds = elapsed * (100 - model.progress.percent) / model.progress.percent;
        model.etaAt = Date.now();
      }
      changed.add('progress');
      break;
    }
    case 'preview':
      model.previewUrl = data.url;
      model.previewStep = data.step ?? null;
      model.previewSize = data.width && data.height ? { width: data.width, height: data.height } : null;
      changed.add('preview');
      break;
    case 'image':
      model.imageCount = Math.max(model.imageCount, (data.index ?? 0) + 1);
      changed.add('image');
      break;
    case 'error':
      model.error = {
        code: data.code, message: data.message, retryable: Boolean(data.retryable),
        retry_after: data.retry_after ?? null,
      };
      if (typeof data.attempt === 'number') model.attempt = data.attempt;
      changed.add('error');
      break;
    default:
      break;
  }
  if (ACTIVE.has(model.status)) model.run = runOf(model);
  return changed;
}

/**
 * The stepper: each step's state.
 * @param {JobModel} model
 * @returns {Record<string, 'done' | 'current' | 'pending' | 'failed' | 'cancelled'>}
 */
export function stepStates(model) {
  const states = {};
  const terminalStop = model.status === 'failed' || model.status === 'cancelled';
  const at = model.status === 'completed' ? 3 : STAGE_ORDER.indexOf(terminalStop ? model.reachedStage : model.status);
  STAGE_ORDER.forEach((step, i) => {
    if (model.status === 'completed') states[step] = 'done';
    else if (i < at) states[step] = 'done';
    else if (i === at) states[step] = terminalStop ? model.status : 'current';
    else states[step] = 'pending';
  });
  return states;
}

/**
 * How the job's failure reads: which banner and whether retry is allowed.
 * @param {JobModel} model
 * @returns {'throttled' | 'rejected' | 'auth' | 'retryable' | 'final' | null}
 */
export function failureKind(model) {
  if (model.status !== 'failed') return null;
  const code = model.error?.code;
  if (code === 'rejected') return 'rejected';
  if (code === 'auth') return 'auth'; // the key, not the job: fixed in Settings, then retried
  if (code && THROTTLE_CODES.has(code)) return 'throttled';
  if (model.error && model.error.retryable === false) return 'final';
  return 'retryable';
}

/**
 * The Start Generation address that comes back prefilled ("Edit prompt & restart").
 * @param {JobModel} model
 */
export function editUrl(model) {
  const q = new URLSearchParams({ prompt: model.prompt });
  const { size, steps, style } = model.params ?? {};
  if (size) q.set('size', String(size));
  if (steps) q.set('steps', String(steps));
  if (style) q.set('style', String(style));
  if (model.params?.count) q.set('count', String(model.params.count));
  const seed = model.params?.seed;
  if (seed !== undefined && seed !== null) q.set('seed', String(seed)); // same composition
  if (model.provider) q.set('provider', model.provider);
  if (model.configuration) q.set('configuration', model.configuration);
  return `/?${q.toString()}`;
}

/**
 * What one row of the event log shows.
 * @param {any} event envelope
 * @param {string} stage the stage the job was in when the event happened
 * @returns {{stage: string, message: string, percent: number | null, preview: boolean, tone: string}}
 */
export function describeEvent(event, stage) {
  const d = event.data ?? {};
  switch (event.type) {
    case 'status':
      return {
        stage: d.status, message: d.reason || `Status ${d.status}`,
        percent: d.status === 'completed' ? 100 : null, preview: false,
        tone: d.status === 'failed' ? 'error' : d.status === 'completed' ? 'success' : 'status',
      };
    case 'progress':
      return { stage: d.stage ?? stage, message: d.message || '', percent: Number(d.percent) || 0, preview: false, tone: '' };
    case 'preview':
      return { stage, message: COPY.previewEvent(d.version, d.step), percent: null, preview: true, tone: '' };
    case 'image':
      return { stage, message: COPY.imageEvent((d.index ?? 0) + 1, d.width, d.height), percent: null, preview: true, tone: '' };
    case 'error':
      return { stage, message: `${d.code}: ${d.message}`, percent: null, preview: false, tone: 'error' };
    case 'log':
      return { stage, message: d.message ?? '', percent: null, preview: false, tone: d.level === 'warning' || d.level === 'error' ? 'warning' : '' };
    case 'label':
      return { stage, message: COPY.labelEvent(d.label), percent: null, preview: false, tone: '' };
    case 'qc':
      return {
        stage, message: COPY.qcEvent((d.index ?? 0) + 1, d.qc_status, d.reason), percent: null, preview: false,
        tone: d.qc_status === 'failed' ? 'warning' : '',
      };
    default:
      return { stage, message: event.type, percent: null, preview: false, tone: '' };
  }
}
