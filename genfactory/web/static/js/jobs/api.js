/**
 * The job-management API as the Job Management page uses it (genfactory/api/jobs.py,
 * management.py, operations.py, system.py). Failures are {@link ApiError}s (lib/request.js).
 *
 * @module jobs/api
 */

import { ApiError } from '../lib/api.js';
import { request } from '../lib/request.js';

const job = (id) => `/api/jobs/${encodeURIComponent(id)}`;

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
  exportJob: (id) => request(`${job(id)}/export`, { method: 'POST' }),
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

  /** @param {any} selection {ids} | {filter, expected_count} @returns {Promise<any>} BulkDeleteResult */
  bulkDelete: (selection) => request('/api/jobs/bulk/delete', { method: 'POST', json: selection }),
  /** @returns {Promise<any>} BulkRerunResult: jobs (≤ 100) or a tracked operation */
  bulkRerun: (selection) => request('/api/jobs/bulk/rerun', { method: 'POST', json: selection }),
  /** @returns {Promise<any>} OperationPublic */
  exportMany: (selection) => {
    const body = { ...selection };
    delete body.expected_count; // an export takes what matches when it runs
    return request('/api/exports', { method: 'POST', json: body });
  },
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
   * GET /api/health. It answers 503 with the same body when degraded (no live worker), so
   * that body is read here rather than turned into an error.
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
