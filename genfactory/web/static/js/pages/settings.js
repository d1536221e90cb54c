/**
 * Settings (`/settings`): each provider's availability, secrets (where each comes from,
 * storing a new one in the OS keyring) and connection test; the data folder, database and
 * keyring of this server (read-only); the defaults of new jobs and the export preferences
 * (forms saved with PUT /api/preferences/{defaults,exports}). Data from GET /api/settings,
 * GET /api/providers, GET /api/preferences and GET /api/configurations.
 *
 * Each part (provider cards, server facts, each preference form) loads and fails on its
 * own, with its own "Try again"; a refresh that fails keeps what was shown, and a refresh
 * never overwrites a form's unsaved edits (fields not being edited are refreshed).
 *
 * `body[data-ready="true"]` once the first load has settled (shown or failed).
 *
 * @module pages/settings
 */

import { ADMIN_SEL as S, COPY, SETTINGS_COPY as T } from '../copy.js';
import { api } from '../lib/api.js';
import { compareNames, configurationsApi } from '../lib/configurations-api.js';
import { $, $$, copyText, h, icon, replaceChildren, setText } from '../lib/dom.js';
import { settingsApi } from '../lib/settings-api.js';
import { initThemeToggle } from '../lib/theme.js';
import { createProviderCard } from '../components/provider-settings.js';
import { toast } from '../components/toast.js';

/** DOM hooks of the preference forms (the template's ids). */
const PREF_SEL = Object.freeze({
  loading: (group) => `#${group}-loading`,
  title: (group) => `#${group}-title`,
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
  configurationGone: (name) => `“${name}” no longer exists; choose another, or save to use none.`,
  providerDefault: 'The server’s default',
  // Status first: a long title is cut off at the select's edge, the status must not be.
  providerUnavailable: (title) => `Unavailable: ${title}`,
  providerMissing: (name) => `${name} (no longer offered)`,
  providerGone: (name) => `“${name}” is no longer offered; choose another, or save to use the server’s default.`,
  countRange: 'Enter a whole number from 1 to 16.',
  saving: 'Saving…',
  saveDefaults: 'Save defaults',
  saveExports: 'Save export preferences',
  defaultsSaved: 'Defaults saved: new jobs on the Start page begin with them.',
  exportsSaved: 'Export preferences saved.',
  savedToFolder: (folder) => `Export preferences saved: exports are also saved to ${folder}.`,
  notSavedUnavailable: 'Gen Image Factory did not answer. Your changes are still here: try again when the server is back.',
  changesKept: 'Your changes are still here.',
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
  const title = /** @type {HTMLElement} */ ($(PREF_SEL.title(spec.group)));
  /** What the form shows as saved: Undo goes back to it; edits are what differs from it. */
  /** @type {Record<string, any>} */
  let saved = {};
  /**
   * What the server holds, where the form cannot show it (a default configuration deleted
   * since is shown as none): Save is enabled while the form differs from it, so one click
   * replaces the stale value.
   * @type {Record<string, any>}
   */
  let stored = {};
  let busy = false;
  /** @type {(values: Record<string, any>) => void} */
  let restore = () => {};

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const dirty = () => !form.hidden && !same(spec.read(), saved);
  const needsSave = () => dirty() || (!form.hidden && !same(spec.read(), stored));
  /** Where focus goes when the control that had it goes away (Save disabled, Undo hidden). */
  const settleFocus = () => {
    const lost = document.activeElement;
    if (lost === document.body || lost === save || lost === undo) title.focus();
  };

  function refresh() {
    const changed = dirty();
    save.disabled = busy || !needsSave();
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
    settleFocus();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || !needsSave()) return;
    clearErrors();
    const values = spec.read();
    const problems = spec.check?.(values) ?? {};
    if (Object.keys(problems).length) {
      showErrors(problems);
      return;
    }
    setBusy(true);
    let ok = false;
    try {
      const prefs = await spec.save(spec.body(values));
      // What was sent is saved now: the server's answer replaces it in the fields (it may
      // have normalised it, e.g. `~/x` → `/home/me/x`); only what was typed since stays.
      saved = values;
      stored = values;
      spec.onSaved(prefs);
      toast(spec.saved(prefs), { tone: 'success' });
      ok = true;
    } catch (error) {
      if (error?.kind === 'validation') {
        showErrors(error.fields);
      } else {
        let message = error?.message ?? String(error);
        if (error?.serverFault) {
          // The server answered, with an error of its own: it is not "unavailable".
          message = `${COPY.serverErrorHelp(error.status)} ${PREF_COPY.changesKept}`;
        } else if (error?.unavailable) {
          spec.onUnavailable();
          message = PREF_COPY.notSavedUnavailable;
        }
        setText(errorText, message);
        errorBox.hidden = false;
      }
    } finally {
      setBusy(false);
      // The heading, however the form was sent (the button, or Enter in a field).
      if (ok) title.focus();
      else if (document.activeElement === document.body) save.focus();
    }
  });

  return {
    form,
    /** Whether the form holds changes that are not saved. */
    isDirty: dirty,
    /**
     * The fields changed and not saved, with their values (read before a refresh rebuilds
     * the controls' options).
     * @returns {Record<string, any>}
     */
    edits() {
      if (form.hidden) return {};
      const current = spec.read();
      return Object.fromEntries(Object.entries(current).filter(([name, value]) => !same(value, saved[name])));
    },
    /**
     * Show saved values (after loading, refreshing or saving). Fields with unsaved edits
     * keep them (`edits`, from {@link edits} before the controls were rebuilt): a refresh
     * never throws away what someone typed; the other fields show what is saved.
     * @param {Record<string, any>} values as `read()` returns them
     * @param {(values: Record<string, any>) => void} apply puts them into the controls
     * @param {Record<string, any>} [edits]
     * @param {Record<string, any>} [held] what the server holds, when the form cannot show it
     */
    load(values, apply, edits = {}, held = values) {
      saved = values;
      stored = held;
      restore = apply;
      const kept = Object.fromEntries(Object.entries(edits).filter(([name, value]) => !same(value, values[name])));
      apply({ ...values, ...kept });
      if (!Object.keys(kept).length) clearErrors();
      form.hidden = false;
      refresh();
    },
  };
}

/** Notices about saved values that no longer apply, next to their fields. */
function showNotices(notices, group, fields, own = {}) {
  for (const name of fields) {
    const message = own[name] ?? notices.find((n) => n.group === group && n.field === name)?.message;
    const el = document.querySelector(PREF_SEL.fieldNotice(name));
    if (el) replaceChildren(/** @type {HTMLElement} */ (el), ...(message ? [icon('alert'), h('span', { text: message })] : []));
  }
}

/** No answer at all (the server is down, or a proxy says it is): the page's callout. */
const unreachable = (error) => Boolean(error?.unavailable) && !error?.serverFault;

/** What the page reads, each request on its own. */
const SOURCES = Object.freeze({
  settings: () => settingsApi.settings(),
  providers: () => api.providers(),
  prefs: () => settingsApi.preferences(),
  configurations: () => configurationsApi.list(),
});

function main() {
  initThemeToggle();
  const els = {
    serverError: $(S.settingsServerError),
    serverRetry: $(S.settingsServerRetry),
    keyring: $(S.keyringCallout),
    keyringReason: $(S.keyringReason),
    providers: $(S.providerList),
    facts: $(S.serverFacts),
    factsError: $('#server-facts-error'),
  };
  /** @type {Map<string, ReturnType<typeof createProviderCard>>} */
  const cards = new Map();
  /** Providers whose last connection test failed: their pill says so until one succeeds. */
  const failedTests = new Set();
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

  // The browser's own "Leave site?" question while a form holds unsaved changes (links,
  // reloads, closing the tab), as on the Configurations page.
  window.addEventListener('beforeunload', (event) => {
    if (!defaultsForm.isDirty() && !exportsForm.isDirty()) return;
    event.preventDefault();
    event.returnValue = ''; // older browsers ask only when this is set
  });

  /** The select's options: "none", then each known name, then a chosen name no longer known. */
  function fillSelect(select, none, items, current, missingLabel) {
    const options = [h('option', { value: '' }, none),
      ...items.map((item) => h('option', { value: item.value }, item.label))];
    if (current && !items.some((item) => item.value === current)) options.push(h('option', { value: current }, missingLabel(current)));
    replaceChildren(select, ...options);
  }

  /**
   * The defaults form as saved (a save of the other form leaves this one as it is). A saved
   * configuration or provider that no longer exists shows as none, with a note: the server
   * refuses to save an unknown name, so keeping it would block saving anything else.
   */
  function renderDefaults(prefs) {
    const { defaults } = prefs;
    const edits = defaultsForm.edits();
    const names = known.configurations.map((c) => c.name).sort(compareNames);
    const providerNames = known.providers.map((p) => p.name);
    const goneConfiguration = defaults.configuration && !names.includes(defaults.configuration) ? defaults.configuration : null;
    const goneProvider = defaults.provider && !providerNames.includes(defaults.provider) ? defaults.provider : null;
    fillSelect(prefEls.configuration, PREF_COPY.configurationNone, names.map((n) => ({ value: n, label: n })),
      edits.configuration, PREF_COPY.configurationMissing);
    fillSelect(prefEls.provider, PREF_COPY.providerDefault,
      known.providers.map((p) => ({ value: p.name, label: p.available ? p.title : PREF_COPY.providerUnavailable(p.title) })),
      edits.provider, PREF_COPY.providerMissing);
    const held = { configuration: defaults.configuration ?? '', provider: defaults.provider ?? '', count: String(defaults.count) };
    defaultsForm.load({
      ...held,
      configuration: goneConfiguration ? '' : held.configuration,
      provider: goneProvider ? '' : held.provider,
    }, (v) => {
      prefEls.configuration.value = v.configuration;
      prefEls.provider.value = v.provider;
      prefEls.count.value = v.count;
    }, edits, held);
    showNotices(prefs.notices ?? [], 'defaults', ['configuration', 'provider', 'count'], {
      ...(goneConfiguration ? { configuration: PREF_COPY.configurationGone(goneConfiguration) } : {}),
      ...(goneProvider ? { provider: PREF_COPY.providerGone(goneProvider) } : {}),
    });
  }

  function renderExports(prefs) {
    const { exports } = prefs;
    const edits = exportsForm.edits();
    exportsForm.load({ include_images: Boolean(exports.include_images), folder: exports.folder ?? '' }, (v) => {
      prefEls.includeImages.checked = v.include_images;
      prefEls.folder.value = v.folder;
    }, edits);
    showNotices(prefs.notices ?? [], 'exports', ['include_images', 'folder']);
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

  /**
   * Where the server has no keyring, a key typed on the page can only be refused: the
   * fields and their "Store in keyring" are disabled, and the hint says which variable to set.
   */
  function lockSecrets(card, keyringUsable) {
    for (const form of card.el.querySelectorAll('.secret__form')) {
      for (const control of form.querySelectorAll('input, button[type="submit"]')) {
        /** @type {HTMLInputElement | HTMLButtonElement} */ (control).disabled = !keyringUsable;
      }
    }
  }

  /** The pill of a provider whose last connection test failed says so. */
  function showTestState(name) {
    const pill = cards.get(name)?.el.querySelector('.availability');
    if (!pill || !failedTests.has(name)) return;
    pill.dataset.available = 'false';
    setText(/** @type {HTMLElement} */ (pill), T.connectionFailed);
  }

  /** After a test that ran: remember how it went, then show the server's availability. */
  function onTested(name) {
    const result = cards.get(name)?.el.querySelector('.provider__result .callout');
    if (result?.classList.contains('tone-error')) failedTests.add(name);
    // A success, or a provider not configured (nothing was tried): not "Connection failed".
    else if (result?.classList.contains('tone-success') || result?.classList.contains('tone-warning')) failedTests.delete(name);
    showTestState(name);
    refreshAvailability();
  }

  function renderProviders(providers, settings) {
    const same = cards.size === providers.length && providers.every((p) => cards.has(p.name));
    if (same) {
      // A refresh: update the cards in place, so test results and typed keys stay.
      for (const provider of providers) {
        const card = /** @type {ReturnType<typeof createProviderCard>} */ (cards.get(provider.name));
        card.update(provider);
        card.updateSecrets(settings.secrets);
        lockSecrets(card, settings.keyring.usable);
        showTestState(provider.name);
      }
      return;
    }
    cards.clear();
    const list = providers.map((provider) => {
      const card = createProviderCard(provider, {
        secrets: settings.secrets,
        keyringUsable: settings.keyring.usable,
        onSecrets: (statuses) => { for (const c of cards.values()) c.updateSecrets(statuses); },
        onTested: () => onTested(provider.name),
      });
      lockSecrets(card, settings.keyring.usable);
      cards.set(provider.name, card);
      return card.el;
    });
    replaceChildren(els.providers, ...list);
    els.providers.setAttribute('aria-busy', 'false');
    for (const provider of providers) showTestState(provider.name);
  }

  /** A connection test updates the provider's availability on the server: show it. */
  async function refreshAvailability() {
    try {
      for (const provider of await api.providers()) {
        cards.get(provider.name)?.update(provider);
        showTestState(provider.name);
      }
    } catch {
      // the test's own result is already shown
    }
  }

  /** Why a part could not be loaded, with its own "Try again". */
  function loadError(title, error, retry) {
    // "Server unavailable" has its own callout; say it once.
    const detail = unreachable(error) ? null
      : error?.serverFault ? COPY.serverErrorHelp(error.status) : error?.message ?? String(error);
    return h('div', { class: 'load-error' },
      h('p', { class: 'load-error__title', text: title }),
      detail ? h('p', { class: 'muted', text: detail }) : null,
      h('button', { type: 'button', class: 'btn btn--secondary btn--small', on: { click: retry } },
        icon('refresh'), COPY.tryAgain));
  }

  /**
   * The page's parts: what each needs, how it shows it, and how it says it could not be
   * loaded. Each loads and fails on its own.
   * @type {Record<string, {needs: string[], loaded: boolean, render: (...values: any[]) => void,
   *   fail: (error: any) => void}>}
   */
  const parts = {
    providers: {
      needs: ['providers', 'settings'],
      loaded: false,
      render: (providers, settings) => renderProviders(providers, settings),
      fail: (error) => {
        els.providers.setAttribute('aria-busy', 'false');
        cards.clear();
        replaceChildren(els.providers, h('div', { class: 'card' }, h('div', { class: 'empty-state' },
          loadError(T.loadError, error, () => load(['providers'])))));
      },
    },
    facts: {
      needs: ['settings'],
      loaded: false,
      render: (settings) => {
        renderFacts(settings);
        els.factsError.hidden = true;
      },
      fail: (error) => {
        for (const dd of els.facts.querySelectorAll('dd')) replaceChildren(/** @type {HTMLElement} */ (dd), h('span', { class: 'muted', text: T.unknown }));
        els.facts.setAttribute('aria-busy', 'false');
        replaceChildren(els.factsError, loadError(T.factsLoadError, error, () => load(['facts'])));
        els.factsError.hidden = false;
      },
    },
    defaults: {
      needs: ['prefs', 'configurations', 'providers'],
      loaded: false,
      render: (prefs, configurations, providers) => {
        known = { providers, configurations };
        renderDefaults(prefs);
        $(PREF_SEL.loading('defaults')).hidden = true;
      },
      fail: (error) => formFailed('defaults', error),
    },
    exports: {
      needs: ['prefs'],
      loaded: false,
      render: (prefs) => {
        renderExports(prefs);
        $(PREF_SEL.loading('exports')).hidden = true;
      },
      fail: (error) => formFailed('exports', error),
    },
  };

  function formFailed(group, error) {
    const el = $(PREF_SEL.loading(group));
    el.setAttribute('aria-busy', 'false');
    replaceChildren(el, loadError(PREF_COPY.loadError, error, () => load([group])));
  }

  /**
   * Load parts (all of them by default), each request once. A part that fails says so with
   * its own "Try again" — unless it was loaded before: then it keeps what it shows, and the
   * page says the refresh failed.
   * @param {string[]} [names]
   */
  async function load(names = Object.keys(parts)) {
    const requests = Object.fromEntries([...new Set(names.flatMap((name) => parts[name].needs))]
      .map((source) => [source, SOURCES[source]()]));
    const failures = await Promise.all(names.map(async (name) => {
      const part = parts[name];
      try {
        const values = await Promise.all(part.needs.map((source) => requests[source]));
        part.render(...values);
        part.loaded = true;
        return null;
      } catch (error) {
        if (!part.loaded) part.fail(error);
        return { error, stale: part.loaded };
      }
    }));
    const failed = failures.filter((f) => f !== null);
    const focusInCallout = els.serverError.contains(document.activeElement);
    els.serverError.hidden = !failed.some((f) => unreachable(f?.error));
    // The callout's "Try again" had the focus and went away with it: start of the page.
    if (focusInCallout && els.serverError.hidden) $('#main').focus();
    if (failed.some((f) => f?.stale)) toast(T.refreshFailed, { tone: 'error' });
    document.body.dataset.ready = 'true';
  }

  els.serverRetry.addEventListener('click', () => load());
  load();
}

main();
