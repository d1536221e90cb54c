/**
 * Settings (`/settings`): each provider's availability, secrets (where each comes from,
 * storing a new one in the OS keyring) and connection test; the data folder, database and
 * keyring of this server (read-only); the defaults of new jobs and the export preferences
 * (forms saved with PUT /api/preferences/{defaults,exports}). Data from GET /api/settings,
 * GET /api/providers, GET /api/preferences and GET /api/configurations.
 *
 * `body[data-ready="true"]` once the first data is rendered.
 *
 * @module pages/settings
 */

import { ADMIN_SEL as S, COPY, SETTINGS_COPY as T } from '../copy.js';
import { api } from '../lib/api.js';
import { configurationsApi } from '../lib/configurations-api.js';
import { $, $$, copyText, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { settingsApi } from '../lib/settings-api.js';
import { initThemeToggle } from '../lib/theme.js';
import { createProviderCard } from '../components/provider-settings.js';
import { toast } from '../components/toast.js';

/** DOM hooks of the preference forms (the template's ids). */
const PREF_SEL = Object.freeze({
  loading: '[data-prefs-loading]',
  form: (group) => `#${group}-form`,
  save: (group) => `#${group}-save`,
  undo: (group) => `#${group}-undo`,
  formError: (group) => `#${group}-form-error`,
  formErrorText: (group) => `#${group}-form-error-text`,
  field: (name) => `#pref-${name.replaceAll('_', '-')}`,
  fieldError: (name) => `#pref-${name.replaceAll('_', '-')}-error`,
  fieldNotice: (name) => `#pref-${name.replaceAll('_', '-')}-notice`,
});

/** Copy of the preference forms. */
const PREF_COPY = Object.freeze({
  configurationNone: 'None: each provider’s own defaults',
  configurationMissing: (name) => `${name} (no longer exists)`,
  providerDefault: 'The server’s default',
  providerUnavailable: (title) => `${title} (unavailable)`,
  providerMissing: (name) => `${name} (no longer offered)`,
  countRange: 'Enter a whole number from 1 to 16.',
  saving: 'Saving…',
  saveDefaults: 'Save defaults',
  saveExports: 'Save export preferences',
  defaultsSaved: 'Defaults saved: new jobs on the Start page begin with them.',
  exportsSaved: 'Export preferences saved.',
  savedToFolder: (folder) => `Export preferences saved: exports are also saved to ${folder}.`,
  notSavedUnavailable: 'Gen Image Factory did not answer. Your changes are still here: try again when the server is back.',
  loadError: 'Could not be loaded.',
});

/**
 * A preference form: Save is enabled once something differs from what is saved, shows
 * "Saving…" while it runs, puts each 422 message next to its field (the rest above the
 * buttons) and confirms with a toast.
 *
 * @param {{group: 'defaults' | 'exports', fields: string[], saveLabel: string,
 *          read: () => Record<string, any>, body: (values: Record<string, any>) => any,
 *          check?: (values: Record<string, any>) => Record<string, string>,
 *          save: (body: any) => Promise<any>, saved: (prefs: any) => string,
 *          onSaved: (prefs: any) => void, onUnavailable: () => void}} spec
 */
function preferenceForm(spec) {
  const form = /** @type {HTMLFormElement} */ ($(PREF_SEL.form(spec.group)));
  const save = /** @type {HTMLButtonElement} */ ($(PREF_SEL.save(spec.group)));
  const undo = /** @type {HTMLButtonElement} */ ($(PREF_SEL.undo(spec.group)));
  const errorBox = $(PREF_SEL.formError(spec.group));
  const errorText = $(PREF_SEL.formErrorText(spec.group));
  /** @type {Record<string, any>} */
  let saved = {};
  let busy = false;
  /** @type {(values: Record<string, any>) => void} */
  let restore = () => {};

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const dirty = () => !same(spec.read(), saved);

  function refresh() {
    const changed = dirty();
    save.disabled = busy || !changed;
    undo.hidden = !changed;
    form.dataset.dirty = String(changed);
  }

  function fieldError(name, message) {
    const control = $(PREF_SEL.field(name));
    setText($(PREF_SEL.fieldError(name)), message ?? '');
    if (message) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  }

  function clearErrors() {
    for (const name of spec.fields) fieldError(name, '');
    errorBox.hidden = true;
  }

  function showErrors(fields) {
    let first = null;
    const general = [];
    for (const [name, message] of Object.entries(fields)) {
      if (spec.fields.includes(name)) {
        fieldError(name, message);
        first ??= $(PREF_SEL.field(name));
      } else {
        general.push(name === 'request' || name === 'body' ? message : `${name}: ${message}`);
      }
    }
    if (general.length) {
      setText(errorText, general.join(' '));
      errorBox.hidden = false;
    }
    first?.focus();
  }

  function setBusy(value) {
    busy = value;
    save.setAttribute('aria-busy', String(value));
    setText(/** @type {HTMLElement} */ (save.querySelector('.btn__label')), value ? PREF_COPY.saving : spec.saveLabel);
    refresh();
  }

  form.addEventListener('input', (event) => {
    const name = /** @type {HTMLInputElement} */ (event.target)?.name;
    if (name && spec.fields.includes(name)) fieldError(name, '');
    refresh();
  });
  form.addEventListener('change', refresh);

  undo.addEventListener('click', () => {
    restore(saved);
    clearErrors();
    refresh();
    save.focus();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || !dirty()) return;
    clearErrors();
    const values = spec.read();
    const problems = spec.check?.(values) ?? {};
    if (Object.keys(problems).length) {
      showErrors(problems);
      return;
    }
    setBusy(true);
    try {
      const prefs = await spec.save(spec.body(values));
      spec.onSaved(prefs);
      toast(spec.saved(prefs), { tone: 'success' });
    } catch (error) {
      if (error?.kind === 'validation') {
        showErrors(error.fields);
      } else {
        if (error?.unavailable) spec.onUnavailable();
        setText(errorText, error?.unavailable ? PREF_COPY.notSavedUnavailable : error?.message ?? String(error));
        errorBox.hidden = false;
      }
    } finally {
      setBusy(false);
      if (document.activeElement === document.body) save.focus();
    }
  });

  return {
    form,
    /**
     * Show saved values (after loading or saving): the form is no longer changed.
     * @param {Record<string, any>} values as `read()` returns them
     * @param {(values: Record<string, any>) => void} apply puts them into the controls
     */
    load(values, apply) {
      saved = values;
      restore = apply;
      apply(values);
      clearErrors();
      form.hidden = false;
      refresh();
    },
  };
}

/** Notices about saved values that no longer apply, next to their fields. */
function showNotices(notices, group, fields) {
  for (const name of fields) {
    const notice = notices.find((n) => n.group === group && n.field === name);
    const el = document.querySelector(PREF_SEL.fieldNotice(name));
    if (el) replaceChildren(/** @type {HTMLElement} */ (el), ...(notice ? [icon('alert'), h('span', { text: notice.message })] : []));
  }
}

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
  const prefEls = {
    configuration: /** @type {HTMLSelectElement} */ ($(PREF_SEL.field('configuration'))),
    provider: /** @type {HTMLSelectElement} */ ($(PREF_SEL.field('provider'))),
    count: /** @type {HTMLInputElement} */ ($(PREF_SEL.field('count'))),
    includeImages: /** @type {HTMLInputElement} */ ($(PREF_SEL.field('include_images'))),
    folder: /** @type {HTMLInputElement} */ ($(PREF_SEL.field('folder'))),
  };
  /** What the last load found: the forms' options are rebuilt from these after a save. */
  let known = { providers: /** @type {any[]} */ ([]), configurations: /** @type {any[]} */ ([]) };
  const serverDown = () => { els.serverError.hidden = false; };

  const defaultsForm = preferenceForm({
    group: 'defaults',
    fields: ['configuration', 'provider', 'count'],
    saveLabel: PREF_COPY.saveDefaults,
    read: () => ({
      configuration: prefEls.configuration.value,
      provider: prefEls.provider.value,
      count: prefEls.count.value.trim(),
    }),
    body: (v) => ({ configuration: v.configuration || null, provider: v.provider || null, count: Number(v.count) }),
    check: (v) => {
      const n = Number(v.count);
      return v.count !== '' && Number.isInteger(n) && n >= 1 && n <= 16 ? {} : { count: PREF_COPY.countRange };
    },
    save: settingsApi.saveDefaults,
    saved: () => PREF_COPY.defaultsSaved,
    onSaved: (prefs) => renderDefaults(prefs),
    onUnavailable: serverDown,
  });

  const exportsForm = preferenceForm({
    group: 'exports',
    fields: ['include_images', 'folder'],
    saveLabel: PREF_COPY.saveExports,
    read: () => ({ include_images: prefEls.includeImages.checked, folder: prefEls.folder.value.trim() }),
    body: (v) => ({ include_images: v.include_images, folder: v.folder || null }),
    save: settingsApi.saveExports,
    saved: (prefs) => (prefs.exports.folder ? PREF_COPY.savedToFolder(prefs.exports.folder) : PREF_COPY.exportsSaved),
    onSaved: (prefs) => renderExports(prefs),
    onUnavailable: serverDown,
  });

  /** The select's options: "none", then each known name, then a saved name no longer known. */
  function fillSelect(select, none, items, current, missingLabel) {
    const options = [h('option', { value: '' }, none),
      ...items.map((item) => h('option', { value: item.value }, item.label))];
    if (current && !items.some((item) => item.value === current)) options.push(h('option', { value: current }, missingLabel(current)));
    replaceChildren(select, ...options);
  }

  /** The defaults form as saved (a save of the other form leaves this one as it is). */
  function renderDefaults(prefs) {
    const { defaults } = prefs;
    const names = known.configurations.map((c) => c.name).sort((a, b) => a.localeCompare(b));
    fillSelect(prefEls.configuration, PREF_COPY.configurationNone, names.map((n) => ({ value: n, label: n })),
      defaults.configuration, PREF_COPY.configurationMissing);
    fillSelect(prefEls.provider, PREF_COPY.providerDefault,
      known.providers.map((p) => ({ value: p.name, label: p.available ? p.title : PREF_COPY.providerUnavailable(p.title) })),
      defaults.provider, PREF_COPY.providerMissing);
    defaultsForm.load({
      configuration: defaults.configuration ?? '',
      provider: defaults.provider ?? '',
      count: String(defaults.count),
    }, (v) => {
      prefEls.configuration.value = v.configuration;
      prefEls.provider.value = v.provider;
      prefEls.count.value = v.count;
    });
    showNotices(prefs.notices ?? [], 'defaults', ['configuration', 'provider', 'count']);
  }

  function renderExports(prefs) {
    const { exports } = prefs;
    exportsForm.load({ include_images: Boolean(exports.include_images), folder: exports.folder ?? '' }, (v) => {
      prefEls.includeImages.checked = v.include_images;
      prefEls.folder.value = v.folder;
    });
    showNotices(prefs.notices ?? [], 'exports', ['include_images', 'folder']);
  }

  /** @param {any} prefs PreferencesPublic */
  function renderPreferences(prefs) {
    renderDefaults(prefs);
    renderExports(prefs);
    for (const el of $$(PREF_SEL.loading)) el.hidden = true;
  }

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
    for (const el of $$(PREF_SEL.loading)) {
      el.setAttribute('aria-busy', 'false');
      replaceChildren(el, h('p', { class: 'muted', text: PREF_COPY.loadError }));
    }
  }

  async function load() {
    els.serverError.hidden = true;
    let settings;
    let providers;
    let prefs;
    let configurations;
    try {
      [settings, providers, prefs, configurations] = await Promise.all([
        settingsApi.settings(), api.providers(), settingsApi.preferences(), configurationsApi.list()]);
    } catch (error) {
      showLoadError(error);
      document.body.dataset.ready = 'true';
      return;
    }
    renderFacts(settings);
    renderProviders(providers, settings);
    known = { providers, configurations };
    renderPreferences(prefs);
    document.body.dataset.ready = 'true';
  }

  els.serverRetry.addEventListener('click', load);
  load();
}

main();
