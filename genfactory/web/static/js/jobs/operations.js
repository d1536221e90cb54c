/**
 * Following a tracked operation (an export, a rerun of many jobs) until it ends: its
 * Server-Sent Events stream when it can (GET /api/operations/{id}/events/stream), polling
 * GET /api/operations/{id} otherwise. And downloading a finished export.
 *
 * @module jobs/operations
 */

import { jobsApi } from './api.js';

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const POLL_MS = 500;

/**
 * @param {any} operation  OperationPublic as first returned
 * @param {(operation: any) => void} onUpdate  each new state, the final one included
 * @returns {{done: Promise<any>, stop: () => void}}  done resolves with the final state
 */
export function followOperation(operation, onUpdate) {
  let stopped = false;
  /** @type {EventSource | null} */
  let source = null;
  let timer = 0;
  let finish = (_op) => {};
  const done = new Promise((resolve) => { finish = resolve; });

  function update(op) {
    if (stopped) return;
    onUpdate(op);
    if (FINAL.has(op.status)) {
      stop();
      finish(op);
    }
  }

  function poll() {
    if (stopped) return;
    jobsApi.operation(operation.id).then(update, () => {}).finally(() => {
      if (!stopped) timer = window.setTimeout(poll, POLL_MS);
    });
  }

  function stop() {
    stopped = true;
    window.clearTimeout(timer);
    source?.close();
    source = null;
  }

  update(operation);
  if (!stopped) {
    const url = operation.links?.events_stream;
    if (url && typeof EventSource === 'function') {
      source = new EventSource(url);
      source.addEventListener('operation', (event) => {
        try { update(JSON.parse(/** @type {MessageEvent} */ (event).data)); } catch { /* not ours */ }
      });
      // The stream ends after the final state; any other error: poll instead.
      source.addEventListener('error', () => {
        source?.close();
        source = null;
        if (!stopped) poll();
      });
    } else poll();
  }
  return { done, stop };
}

/**
 * Start the browser's download of a finished export (Content-Disposition: attachment).
 * @param {any} operation
 */
export function downloadExport(operation) {
  const url = operation.result?.download_url ?? operation.links?.download;
  if (!url) return false;
  const a = document.createElement('a');
  a.href = url;
  a.download = operation.result?.filename ?? '';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  return true;
}
