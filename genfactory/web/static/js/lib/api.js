/**
 * The REST API, as the pages use it. Every failure becomes an {@link ApiError} that says
 * what kind of failure it was, so a page can pick the right message:
 *
 * - `network`: no answer (server down, connection refused) or a 5xx: "server unavailable";
 * - `validation`: 422, with `fields` = {field name: message};
 * - `not_found`, `conflict`, …: the server's own `detail.code`, with its `message`.
 *
 * @module lib/api
 */

export class ApiError extends Error {
  /**
   * @param {string} kind
   * @param {string} message
   * @param {{status?: number, fields?: Record<string, string>, detail?: any}} [extra]
   */
  constructor(kind, message, { status = 0, fields = {}, detail = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.fields = fields;
    this.detail = detail;
  }

  /** Whether the page should say "server unavailable". */
  get unavailable() {
    return this.kind === 'network';
  }

  /** Whether the server itself answered with an error (a 500…), not a proxy saying it is
   *  unreachable (502–504): "did not answer" would be wrong then. */
  get serverFault() {
    return this.status >= 500 && ![502, 503, 504].includes(this.status);
  }
}

/**
 * Turn FastAPI's 422 body into {field: message}. Pydantic prefixes "Value error, ".
 * @param {any} detail
 * @returns {Record<string, string>}
 */
export function validationFields(detail) {
  const fields = {};
  if (!Array.isArray(detail)) return fields;
  for (const item of detail) {
    const loc = Array.isArray(item?.loc) ? item.loc : [];
    const name = String(loc.length > 1 ? loc[loc.length - 1] : loc[0] ?? 'request');
    const message = String(item?.msg ?? 'Invalid value.').replace(/^Value error, /, '');
    if (!(name in fields)) fields[name] = message;
  }
  return fields;
}

/**
 * The server wants its API token and this browser's is missing or no longer right (the
 * token changed, the cookie was cleared): go to the sign-in page, which comes back here.
 */
export function signInAgain() {
  if (typeof location === 'undefined' || location.pathname === '/login') return;
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/**
 * One JSON request to this server, failures mapped to {@link ApiError}: network / 5xx →
 * `network`, 422 → `validation` with `fields`, else the server's `detail.code` and `message`.
 *
 * @param {string} path
 * @param {RequestInit & {json?: any}} [init]
 * @returns {Promise<any>} the JSON body (null for 204)
 */
export async function request(path, init = {}) {
  const { json, ...rest } = init;
  const options = {
    credentials: 'same-origin',
    cache: 'no-store',
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
  if (response.status === 401) signInAgain();
  const kind = detail?.code ?? (response.status === 404 ? 'not_found' : `http_${response.status}`);
  const message = detail?.message ?? (typeof body?.detail === 'string' ? body.detail : `HTTP ${response.status}`);
  throw new ApiError(kind, message, { status: response.status, detail });
}

const jobPath = (id) => `/api/jobs/${encodeURIComponent(id)}`;

export const api = Object.freeze({
  /** @returns {Promise<any[]>} ProviderPublic[] */
  providers: () => request('/api/providers'),
  /** @returns {Promise<{items: any[], total: number}>} JobPage */
  listJobs: (limit = 5) => request(`/api/jobs?limit=${limit}`),
  /** @returns {Promise<any>} JobPublic */
  getJob: (id) => request(jobPath(id)),
  /** @returns {Promise<any>} JobPublic */
  createJob: (body) => request('/api/jobs', { method: 'POST', json: body }),
  cancelJob: (id) => request(`${jobPath(id)}/cancel`, { method: 'POST' }),
  retryJob: (id) => request(`${jobPath(id)}/retry`, { method: 'POST' }),
  /** @returns {Promise<any[]>} ImagePublic[] */
  images: (id) => request(`${jobPath(id)}/images`),
  /** @returns {Promise<any[]>} RegenerationPublic[], oldest first (which image replaced which) */
  regenerations: (id) => request(`${jobPath(id)}/regenerations`),
  /** Events up to a cursor, for the history rows (the live stream delivers the rest). */
  events: (id, after, limit) => request(`${jobPath(id)}/events?after=${after}&limit=${limit}`),
});
