/**
 * The settings API (genfactory/api/settings_routes.py): where each provider secret comes
 * from (never its value), storing one in the OS keyring, and connection tests; and the
 * server-side preferences (genfactory/api/preferences.py): the defaults of new jobs and the
 * export preferences.
 *
 * @module lib/settings-api
 */

import { request } from './request.js';

export const settingsApi = Object.freeze({
  /** @returns {Promise<any>} SettingsPublic */
  settings: () => request('/api/settings'),
  /**
   * Store (or with `null`, remove) a secret in the keyring. Rejects with kind `no_keyring`
   * (409) where the machine has none: the message names the variables to set instead.
   * @returns {Promise<any[]>} SecretStatus[]
   */
  storeSecret: (name, value) => request(`/api/secrets/${encodeURIComponent(name)}`, { method: 'PUT', json: { value } }),
  /** @returns {Promise<{ok: boolean, message: string}>} */
  testProvider: (name) => request(`/api/providers/${encodeURIComponent(name)}/test`, { method: 'POST' }),
  /**
   * Both groups as saved (their defaults when never saved), and `notices` about saved values
   * that no longer apply (a deleted default configuration, an unwritable folder).
   * @returns {Promise<any>} PreferencesPublic
   */
  preferences: () => request('/api/preferences'),
  /**
   * Save the defaults of new jobs. Rejects with kind `validation` (422) and `fields`
   * (`configuration`, `provider`, `count`) naming what is wrong.
   * @param {{configuration: string | null, provider: string | null, count: number}} body
   * @returns {Promise<any>} PreferencesPublic
   */
  saveDefaults: (body) => request('/api/preferences/defaults', { method: 'PUT', json: body }),
  /**
   * Save the export preferences; a folder the server cannot write to is a 422 on `folder`.
   * @param {{include_images: boolean, folder: string | null}} body
   * @returns {Promise<any>} PreferencesPublic
   */
  saveExports: (body) => request('/api/preferences/exports', { method: 'PUT', json: body }),
});
