/**
 * The configurations API (genfactory/api/configurations.py): named presets whose versions
 * are never edited; each save is a new version.
 *
 * @module lib/configurations-api
 */

import { request } from './request.js';

const byName = (name) => `/api/configurations/by-name/${encodeURIComponent(name)}`;

export const configurationsApi = Object.freeze({
  /** @returns {Promise<any[]>} ConfigurationPublic[]: the newest version of each, with `jobs` */
  list: () => request('/api/configurations'),
  /** @returns {Promise<any>} one version, by its id (404 `not_found` when there is none) */
  get: (id) => request(`/api/configurations/${encodeURIComponent(id)}`),
  /** @returns {Promise<any[]>} every version of one name, newest first */
  versions: (name) => request(`${byName(name)}/versions`),
  /** @returns {Promise<any>} version 1 of a new name (409 `conflict` when the name exists) */
  create: (body) => request('/api/configurations', { method: 'POST', json: body }),
  /** @returns {Promise<any>} the new version */
  saveVersion: (name, body) => request(`${byName(name)}/versions`, { method: 'POST', json: body }),
  /** Every version; 409 `conflict` while a job uses it. */
  remove: (name) => request(byName(name), { method: 'DELETE' }),
});

/** The Jobs page listing the jobs that used a configuration (any of its versions). */
export const jobsUsingUrl = (name) => `/jobs?${new URLSearchParams({ config: name }).toString()}`;

/** The Configurations page with one version in its editor (`?edit=<version id>`). */
export const editVersionUrl = (id) => `/configurations?${new URLSearchParams({ edit: id }).toString()}`;

/** The Start Generation address that uses a configuration (its newest version). */
export const startJobUrl = (name) => `/?${new URLSearchParams({ configuration: name }).toString()}`;

/**
 * How configuration names sort everywhere (the server's list does the same, see
 * genfactory/store/configurations.py name_order): ignoring case, then exactly.
 * @param {string} a @param {string} b
 */
export function compareNames(a, b) {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
