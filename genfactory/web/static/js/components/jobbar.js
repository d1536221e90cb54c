/**
 * The sticky job header (status pill, attempt counter, transport chip, connection
 * indicator, actions) and the progress card (stepper, bar, detail line).
 *
 * @module components/jobbar
 */

import { COPY, SEL, STATUS_LABELS, STEPS } from '../copy.js';
import { $, setText } from '../lib/dom.js';
import { CANCELLABLE, stepStates } from '../lib/job-model.js';
import { indicatorText, modeLabel } from './banners.js';

const STEP_STATE_TEXT = {
  done: COPY.stepDone,
  current: COPY.stepCurrent,
  failed: COPY.stepFailed,
  cancelled: COPY.stepCancelled,
  pending: '',
};

export function createJobbar() {
  const els = {
    pill: $(SEL.statusPill),
    pillLabel: $(`${SEL.statusPill} .pill__label`),
    attempt: $(SEL.attempt),
    chip: $(SEL.transportChip),
    mode: $(SEL.transportMode),
    indicator: $(SEL.liveIndicator),
    reconnect: /** @type {HTMLButtonElement} */ ($(SEL.actionReconnect)),
    poll: /** @type {HTMLButtonElement} */ ($(SEL.actionPoll)),
    cancel: /** @type {HTMLButtonElement} */ ($(SEL.actionCancel)),
    stepper: $(SEL.stepper),
    bar: /** @type {HTMLProgressElement} */ ($(SEL.progressBar)),
    label: $(SEL.progressLabel),
    detail: $(SEL.progressDetail),
  };

  /** No job to show: no status, attempt, connection or action. */
  function renderNoJob(label) {
    els.pill.dataset.status = 'gone';
    setText(els.pillLabel, label);
    setText(els.attempt, '');
    els.attempt.hidden = true;
    for (const button of [els.cancel, els.reconnect, els.poll]) button.disabled = true;
    els.chip.dataset.state = 'closed';
    els.indicator.dataset.state = 'closed';
    els.indicator.classList.remove('skeleton');
    setText(els.indicator, COPY.notConnected);
  }

  return {
    els,
    /**
     * @param {import('../lib/job-model.js').JobModel} model
     * @param {number} [now]
     * @param {boolean} [stale] no data reaches the page (offline, server unreachable): a
     *   time-left estimate would count down on nothing
     */
    renderJob(model, now = Date.now(), stale = false) {
      els.pill.dataset.status = model.status;
      setText(els.pillLabel, STATUS_LABELS[model.status] ?? model.status);
      els.attempt.hidden = false;
      setText(els.attempt, COPY.attempt(model.attempt, model.maxAttempts));
      els.cancel.disabled = !CANCELLABLE.has(model.status);

      const states = stepStates(model);
      for (const step of STEPS) {
        const li = /** @type {HTMLElement} */ (els.stepper.querySelector(`[data-step="${step}"]`));
        const state = states[step];
        li.dataset.state = state;
        if (state === 'current' || state === 'failed' || state === 'cancelled') li.setAttribute('aria-current', 'step');
        else li.removeAttribute('aria-current');
        setText(li.querySelector('.stepper__state'), STEP_STATE_TEXT[state] ? ` (${STEP_STATE_TEXT[state]})` : '');
      }

      const p = model.progress;
      els.bar.value = Math.max(0, Math.min(100, p.percent));
      els.bar.dataset.status = model.status;
      const percent = COPY.percent(p.percent);
      let label;
      if (model.status === 'queued') label = queuedText(model, now);
      else if (model.status === 'failed' || model.status === 'cancelled') label = COPY.lastProgress(p.percent);
      else if (model.status === 'completed') label = `${percent} · ${COPY.completedTitle}`;
      else label = p.message ? `${percent} · ${p.message}` : percent;
      setText(els.label, label);
      setText(els.detail, stale ? '' : detailText(model, now));
    },

    /** The job does not exist (any more): nothing to show about it, nothing to do. */
    renderGone() {
      renderNoJob(COPY.pillGone);
    },

    /** The job could not be loaded: the header claims neither loading nor connecting. */
    renderNotLoaded() {
      renderNoJob(COPY.pillNotLoaded);
    },

    /** Loading the job's snapshot (again, after "Try again"): the header as the page first
     *  shows it. No connection is tried yet, so the indicator is a skeleton, not
     *  "Connecting…" (the spec's "Initial loading" state comes before "Connecting"). */
    renderLoading() {
      els.pill.dataset.status = '';
      setText(els.pillLabel, COPY.pillLoading);
      els.attempt.hidden = false;
      setText(els.attempt, COPY.attempt('–', '–'));
      els.chip.dataset.state = 'loading';
      els.indicator.dataset.state = 'loading';
      els.indicator.classList.add('skeleton');
      setText(els.indicator, '');
    },

    /** @param {any} ts transport state */
    renderTransport(ts, model, now, lastUpdateAt) {
      const mode = ts?.mode ?? 'ws';
      els.chip.dataset.mode = mode;
      els.chip.dataset.state = ts?.state ?? 'connecting';
      setText(els.mode, modeLabel(ts));
      els.indicator.dataset.state = ts?.state ?? 'connecting';
      els.indicator.classList.remove('skeleton');
      setText(els.indicator, indicatorText(ts, now, lastUpdateAt));
      const locked = model?.status === 'cancelled';
      const closed = !ts || ts.state === 'closed';
      // Offline, a reconnect cannot work: it comes back with the network (as the banner's).
      els.reconnect.disabled = locked || closed || (ts.state === 'live' && ts.mode === 'ws')
        || ts.reason === 'offline';
      // Blocked, polling started on its own: "Switch to polling" still means something (stay
      // on polling, as the banner's button); polling chosen already, it does not.
      els.poll.disabled = locked || closed || (ts.state === 'degraded' && ts.reason !== 'blocked');
    },
  };
}

/** In the pause before an automatic retry (``run_after`` still ahead). */
const waitingToRetry = (model, now) => Boolean(model.runAfter && model.runAfter > now);

/** Queued: for the first time, again (a retry, a regeneration), or waiting out the pause
 *  before an automatic retry (the banner says how long; no queue position then). */
function queuedText(model, now) {
  if (waitingToRetry(model, now)) return COPY.progressRetryWait;
  return model.attempt > 1 ? COPY.progressQueuedAgain : COPY.progressNone;
}

/** @param {import('../lib/job-model.js').JobModel} model */
function detailText(model, now) {
  if (model.status === 'queued') {
    if (waitingToRetry(model, now)) return '';
    if (model.queuePosition) return COPY.queuePosition(model.queuePosition);
    return '';
  }
  if ((model.status === 'running' || model.status === 'uploading') && model.etaSeconds !== null) {
    const left = model.etaSeconds - (now - model.etaAt) / 1000;
    return left > 0.5 ? COPY.eta(left) : '';
  }
  return '';
}
