/**
 * One JSON request to this server, failures mapped to {@link ApiError} exactly as
 * lib/api.js does (network / 5xx → `network`, 422 → `validation` with `fields`, else the
 * server's `detail.code` and `message`).
 *
 * lib/api.js keeps its `request` private, and that file belongs to the progress page; this
 * is the same function, exported for the Configurations and Settings modules. Merge note:
 * export `request` from lib/api.js and make this module re-export it.
 *
 * @module lib/request
 */

import { ApiError, validationFields } from './api.js';

/**
 * @param {string} path
 * @param {RequestInit & {json?: any}} [init]
 * @returns {Promise<any>} the JSON body (null for 204)
 */
export async function request(path, init = {}) {
  const { json, ...rest } = init;
  const options = {
    credentials: /** @type {RequestCredentials} */ ('same-origin'),
    cache: /** @type {RequestCache} */ ('no-store'),
    ...rest,
    headers: { Accept: 'application/json', ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...rest.headers },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError('network', error instanceof Error ? error.message : 'network error');
  }
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  if (response.status >= 500) {
    throw new ApiError('network', `HTTP ${response.status}`, { status: response.status, detail: body?.detail });
  }
  if (response.status === 422) {
    const fields = validationFields(body?.detail);
    const message = Object.values(fields)[0] ?? 'Invalid request.';
    throw new ApiError('validation', message, { status: 422, fields, detail: body?.detail });
  }
  const detail = body && typeof body.detail === 'object' ? body.detail : null;
  const kind = detail?.code ?? (response.status === 404 ? 'not_found' : `http_${response.status}`);
  const message = detail?.message ?? (typeof body?.detail === 'string' ? body.detail : `HTTP ${response.status}`);
  throw new ApiError(kind, message, { status: response.status, detail });
}
