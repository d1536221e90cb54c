/**
 * The settings API (genfactory/api/settings_routes.py): where each provider secret comes
 * from (never its value), storing one in the OS keyring, and connection tests.
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
});
