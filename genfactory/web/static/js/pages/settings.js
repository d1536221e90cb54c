/**
 * Settings (`/settings`): each provider's availability, secrets (where each comes from,
 * storing a new one in the OS keyring) and connection test; the data folder, database and
 * keyring of this server (read-only). Data from GET /api/settings and GET /api/providers.
 *
 * `body[data-ready="true"]` once the first data is rendered.
 *
 * @module pages/settings
 */

import { ADMIN_SEL as S, COPY, SETTINGS_COPY as T } from '../copy.js';
import { api } from '../lib/api.js';
import { $, copyText, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { settingsApi } from '../lib/settings-api.js';
import { initThemeToggle } from '../lib/theme.js';
import { createProviderCard } from '../components/provider-settings.js';
import { toast } from '../components/toast.js';

function main() {
  initThemeToggle();
  const els = {
    serverError: $(S.settingsServerError),
    serverRetry: $(S.settingsServerRetry),
    keyring: $(S.keyringCallout),
    keyringReason: $(S.keyringReason),
    providers: $(S.providerList),
    facts: $(S.serverFacts),
  };
  /** @type {Map<string, ReturnType<typeof createProviderCard>>} */
  const cards = new Map();

  function renderFacts(settings) {
    const copyPath = h('button', {
      type: 'button', class: 'btn btn--ghost btn--small btn--icon', title: T.copyPath, 'aria-label': T.copyPath,
      on: {
        click: async () => {
          const ok = await copyText(settings.data_dir);
          toast(ok ? COPY.copied : COPY.copyFailed, { tone: ok ? 'success' : 'error' });
        },
      },
    }, icon('copy'));
    const fact = (term, ...value) => h('div', {}, h('dt', { text: term }), h('dd', {}, ...value));
    const keyring = settings.keyring;
    replaceChildren(els.facts,
      fact('Data folder', h('code', { class: 'facts__path', id: 'data-dir', text: settings.data_dir }), copyPath),
      fact('Database', T.dbNames[settings.database_backend] ?? settings.database_backend),
      fact('Mode', settings.mode),
      fact('OS keyring', keyring.usable ? T.keyringUsable(keyring.backend) : T.keyringNone));
    els.facts.setAttribute('aria-busy', 'false');
    els.keyring.hidden = keyring.usable;
    // The usual reason ("no keyring here") is the callout's title; another one is news.
    const reason = keyring.backend !== 'none' && keyring.reason ? `${keyring.reason} ` : '';
    setText(els.keyringReason, `${reason}${T.keyringNoneBody}`);
  }

  function renderProviders(providers, settings) {
    cards.clear();
    const list = providers.map((provider) => {
      const card = createProviderCard(provider, {
        secrets: settings.secrets,
        keyringUsable: settings.keyring.usable,
        onSecrets: (statuses) => { for (const c of cards.values()) c.updateSecrets(statuses); },
        onTested: refreshAvailability,
      });
      cards.set(provider.name, card);
      return card.el;
    });
    replaceChildren(els.providers, ...list);
    els.providers.setAttribute('aria-busy', 'false');
  }

  /** A connection test updates the provider's availability on the server: show it. */
  async function refreshAvailability() {
    try {
      for (const provider of await api.providers()) cards.get(provider.name)?.update(provider);
    } catch {
      // the test's own result is already shown
    }
  }

  function showLoadError(error) {
    // "Server unavailable" has its own callout with the retry button; say it once.
    const down = Boolean(error?.unavailable);
    els.serverError.hidden = !down;
    els.providers.setAttribute('aria-busy', 'false');
    replaceChildren(els.providers, h('div', { class: 'card' }, h('div', { class: 'empty-state' },
      h('p', { class: 'empty-state__title', text: T.loadError }),
      down ? null : h('p', { class: 'muted', text: error?.message ?? String(error) }),
      down ? null : h('button', { type: 'button', class: 'btn btn--secondary', on: { click: load } }, icon('refresh'), COPY.tryAgain))));
    for (const dd of els.facts.querySelectorAll('dd')) replaceChildren(/** @type {HTMLElement} */ (dd), h('span', { class: 'muted', text: T.unknown }));
    els.facts.setAttribute('aria-busy', 'false');
  }

  async function load() {
    els.serverError.hidden = true;
    let settings;
    let providers;
    try {
      [settings, providers] = await Promise.all([settingsApi.settings(), api.providers()]);
    } catch (error) {
      showLoadError(error);
      document.body.dataset.ready = 'true';
      return;
    }
    renderFacts(settings);
    renderProviders(providers, settings);
    document.body.dataset.ready = 'true';
  }

  els.serverRetry.addEventListener('click', load);
  load();
}

main();
