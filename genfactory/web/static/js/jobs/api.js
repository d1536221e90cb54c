/**
 * The job-management API as the Job Management page uses it (genfactory/api/jobs.py,
 * management.py, operations.py, system.py). Failures are {@link ApiError}s (lib/request.js).
 *
 * @module jobs/api
 */

import { ApiError, signInAgain, validationFields } from '../lib/api.js';
import { request } from '../lib/request.js';

const job = (id) => `/api/jobs/${encodeURIComponent(id)}`;

/**
 * An error answer of a non-JSON route as an {@link ApiError} (the same kinds as lib/api.js).
 * @param {Response} response
 */
async function errorOf(response) {
  if (response.status === 401) signInAgain();
  const body = await response.json().catch(() => null);
  if (response.status >= 500) return new ApiError('network', `HTTP ${response.status}`, { status: response.status });
  if (response.status === 422) {
    const fields = validationFields(body?.detail);
    return new ApiError('validation', Object.values(fields)[0] ?? 'Invalid request.', { status: 422, fields });
  }
  const detail = body && typeof body.detail === 'object' ? body.detail : null;
  return new ApiError(detail?.code ?? `http_${response.status}`, detail?.message ?? `HTTP ${response.status}`, { status: response.status, detail });
}

/** The browser's IANA time zone ('' if it has none to give). */
export function readerTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return '';
  }
}

/**
 * Send an export with the reader's time zone, so that its times read as the pages show
 * them; a server whose time-zone data does not know the zone is asked again for UTC (the
 * headers then say so) rather than failing the export.
 * @template T
 * @param {(zone: string) => Promise<T>} send
 * @returns {Promise<T>}
 */
export async function inReaderZone(send, zone = readerTimeZone()) {
  if (!zone) return send('');
  try {
    return await send(zone);
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'validation' && 'time_zone' in error.fields) return send('');
    throw error;
  }
}

export const jobsApi = Object.freeze({
  /** @param {URLSearchParams} params @returns {Promise<any>} JobPage (items, total, pages, highlights) */
  list: (params) => request(`/api/jobs?${params}`),
  /** @param {URLSearchParams} params @returns {Promise<any>} JobStats (the five cards) */
  stats: (params) => request(`/api/jobs/stats?${params}`),
  /** @returns {Promise<any>} JobPublic, with images_passed / images_failed */
  get: (id) => request(job(id)),
  /** @returns {Promise<any>} JobPublic (422 `validation` for an empty or too long label) */
  rename: (id, label) => request(job(id), { method: 'PATCH', json: { label } }),
  /** @returns {Promise<any>} JobPublic: the new job (lineage in rerun_of) */
  rerun: (id) => request(`${job(id)}/rerun`, { method: 'POST' }),
  /** @returns {Promise<any>} OperationPublic of a one-job Excel export */
  exportJob: (id) => inReaderZone((zone) =>
    request(`${job(id)}/export${zone ? `?time_zone=${encodeURIComponent(zone)}` : ''}`, { method: 'POST' })),
  /**
   * @param {string} id
   * @param {{qc?: string, sort?: string}} [options]
   * @returns {Promise<any[]>} ImageDetail[]
   */
  images: (id, { qc = '', sort = 'index' } = {}) => {
    const q = new URLSearchParams({ sort });
    if (qc) q.set('qc_status', qc);
    return request(`${job(id)}/images?${q}`);
  },
  /** @returns {Promise<any>} EventPage */
  events: (id, after, limit) => request(`${job(id)}/events?after=${after}&limit=${limit}`),
  /** @returns {Promise<any>} ImageDetail with the new verdict */
  review: (imageId, status) => request(`/api/images/${encodeURIComponent(imageId)}/qc`, { method: 'POST', json: { status } }),
  /**
   * A new image in place of a failed one (409 `conflict` says why not: job busy, image passed).
   * @returns {Promise<any>} RegenerationQueued {regeneration, job}
   */
  regenerate: (imageId) => request(`/api/images/${encodeURIComponent(imageId)}/regenerate`, { method: 'POST', json: {} }),
  /** @returns {Promise<any[]>} RegenerationPublic[], oldest first */
  regenerations: (id) => request(`${job(id)}/regenerations`),
  /**
   * Download images as one ZIP (POST /api/images/export): the streamed body is read with
   * progress and handed back as a Blob with its file name.
   * @param {string[]} ids
   * @param {(received: number) => void} [onProgress]  bytes received so far
   * @returns {Promise<{blob: Blob, filename: string, missing: number}>}
   */
  async exportImages(ids, onProgress) {
    let response;
    try {
      response = await fetch('/api/images/export', {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/zip, application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ ids }),
      });
    } catch (error) {
      throw new ApiError('network', error instanceof Error ? error.message : 'network error');
    }
    if (!response.ok) throw await errorOf(response);
    const chunks = [];
    let received = 0;
    try {
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          received += value.byteLength;
          onProgress?.(received);
        }
      } else {
        chunks.push(await response.arrayBuffer());
      }
    } catch (error) {
      throw new ApiError('network', error instanceof Error ? error.message : 'the download broke off');
    }
    const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1];
    return {
      blob: new Blob(chunks, { type: 'application/zip' }),
      filename: name ?? 'images.zip',
      missing: Number(response.headers.get('X-Images-Missing') ?? 0),
    };
  },

  /** @param {any} selection {ids} | {filter, expected_count} @returns {Promise<any>} BulkDeleteResult */
  bulkDelete: (selection) => request('/api/jobs/bulk/delete', { method: 'POST', json: selection }),
  /** @returns {Promise<any>} BulkRerunResult: jobs (≤ 100) or a tracked operation */
  bulkRerun: (selection) => request('/api/jobs/bulk/rerun', { method: 'POST', json: selection }),
  /** @returns {Promise<any>} OperationPublic */
  exportMany: (selection) => inReaderZone((zone) => {
    const body = { ...selection };
    delete body.expected_count; // an export takes what matches when it runs
    if (zone) body.time_zone = zone;
    return request('/api/exports', { method: 'POST', json: body });
  }),
  /** @returns {Promise<any>} OperationPublic */
  operation: (id) => request(`/api/operations/${encodeURIComponent(id)}`),
  /** @returns {Promise<any>} OperationPublic */
  cancelOperation: (id) => request(`/api/operations/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),

  /** @returns {Promise<any[]>} PresetPublic[] */
  presets: () => request('/api/presets'),
  /** @returns {Promise<any>} PresetPublic (409 `conflict` when the name is taken) */
  createPreset: (name, filter) => request('/api/presets', { method: 'POST', json: { name, filter } }),
  deletePreset: (id) => request(`/api/presets/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** @returns {Promise<any[]>} ConfigurationPublic[] */
  configurations: () => request('/api/configurations'),

  /**
   * GET /api/health. It answers 503 with the same body when this node cannot serve (its
   * database or its own workers), so that body is read here rather than turned into an
   * error; "degraded" with no live worker anywhere comes with a 200.
   * @returns {Promise<any>} Health
   */
  async health() {
    let response;
    try {
      response = await fetch('/api/health', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
    } catch (error) {
      throw new ApiError('network', error instanceof Error ? error.message : 'network error');
    }
    const body = await response.json().catch(() => null);
    if (body && typeof body.status === 'string') return body;
    throw new ApiError('network', `HTTP ${response.status}`, { status: response.status });
  },
});
