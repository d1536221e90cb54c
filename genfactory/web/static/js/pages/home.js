/**
 * Start Generation (`/`): the prompt form, its options (from GET /api/providers), the
 * recent jobs (GET /api/jobs?limit=5), and the submit → redirect to `/jobs/{id}`.
 * Query parameters `prompt`, `size`, `steps`, `style`, `count`, `seed` (and `provider`)
 * prefill the form: that is how "Edit prompt & restart" comes back here, with the job's
 * seed, so an edited prompt keeps the picture's composition (empty the Seed for a new one). `configuration=<name>` starts
 * the job from that configuration (its newest version): its settings fill the options, the
 * POST body names it, and only the options changed here are sent to override it.
 *
 * The server-side defaults (GET /api/preferences, saved on the Settings page) fill in what
 * the address does not say: the default configuration (only when the address names no
 * configuration and no option), the default provider and the image count. A default that
 * no longer applies (its configuration deleted, its provider unavailable) is skipped and
 * said so in a notice; the form always works.
 *
 * @module pages/home
 */

import { ADMIN_SEL, CONFIG_COPY, COPY, PROMPT_MAX, SEL, STATUS_LABELS } from '../copy.js';
import { api, request } from '../lib/api.js';
import { summarize, summarizeQc } from '../lib/config-summary.js';
import { configurationsApi } from '../lib/configurations-api.js';
import { $, $$, h, replaceChildren, setText } from '../lib/dom.js';
import { longTime, promptLength, timeAgo } from '../lib/format.js';
import { settingsApi } from '../lib/settings-api.js';
import { initThemeToggle } from '../lib/theme.js';

const FIELDS = ['provider', 'size', 'steps', 'style', 'count'];
/** Address parameters that are a choice of options: with any of them, no default configuration. */
const OPTION_PARAMS = ['configuration', 'provider', 'size', 'steps', 'style'];
const COUNT_MIN = 1;
const COUNT_MAX = 16;
const SEED_MAX = 2 ** 31 - 1;

/** "a", "a and b", "a, b and c" */
const andList = (parts) => (parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0] ?? '');

/** DOM hooks and copy of the defaults (Settings) on this page. */
const DEFAULTS_SEL = Object.freeze({
  count: '#count',
  seed: '#seed',
  seedHint: '#seed-hint',
  notice: '#defaults-notice',
  noticeText: '#defaults-notice-text',
  configDefault: '#configuration-notice-default',
  linkNotice: '#link-notice',
  linkNoticeTitle: '#link-notice-title',
});
const DEFAULTS_COPY = Object.freeze({
  countRange: `Images must be a whole number from ${COUNT_MIN} to ${COUNT_MAX}.`,
  seedRange: `Seed must be a whole number from 0 to ${SEED_MAX}, or empty for a random one.`,
  seedHint: 'Empty: a new one for each job',
  seedUnsupported: (title) => `${title} takes no seed: each image is new.`,
  configurationGone: (name) => `Your default configuration “${name}” no longer exists, so this job starts from the provider’s defaults.`,
  providerUnusable: (title, why, used) => `Your default provider ${title} is unavailable${why ? `: ${why}` : ''}. This job uses ${used}.`,
  providerGone: (name, used) => `Your default provider “${name}” is no longer offered. This job uses ${used}.`,
  linkIgnored: (parts) => `The link’s ${andList(parts)} could not be used; the job will use the options below.`,
  linkValue: (field, value) => `${field} “${value}”`,
});

function elements() {
  return {
    form: /** @type {HTMLFormElement} */ ($(SEL.form)),
    prompt: /** @type {HTMLTextAreaElement} */ ($(SEL.prompt)),
    promptCount: $(SEL.promptCount),
    promptError: $(SEL.promptError),
    provider: /** @type {HTMLSelectElement} */ ($(SEL.provider)),
    providerField: $(SEL.providerField),
    size: /** @type {HTMLSelectElement} */ ($(SEL.size)),
    steps: /** @type {HTMLInputElement} */ ($(SEL.steps)),
    stepsHint: $(SEL.stepsHint),
    style: /** @type {HTMLSelectElement} */ ($(SEL.style)),
    count: /** @type {HTMLInputElement} */ ($(DEFAULTS_SEL.count)),
    seed: /** @type {HTMLInputElement} */ ($(DEFAULTS_SEL.seed)),
    seedHint: $(DEFAULTS_SEL.seedHint),
    defaultsNotice: $(DEFAULTS_SEL.notice),
    defaultsNoticeText: $(DEFAULTS_SEL.noticeText),
    configDefault: $(DEFAULTS_SEL.configDefault),
    linkNotice: $(DEFAULTS_SEL.linkNotice),
    linkNoticeTitle: $(DEFAULTS_SEL.linkNoticeTitle),
    optionsStatus: $(SEL.optionsStatus),
    formError: $(SEL.formError),
    formErrorText: $(SEL.formErrorText),
    formErrorTitle: $(`${SEL.formError} .callout__title`),
    serverError: $(SEL.serverError),
    serverRetry: $(SEL.serverRetry),
    generate: /** @type {HTMLButtonElement} */ ($(SEL.generate)),
    clear: $(SEL.clear),
    recent: $(SEL.recent),
    configNotice: $(ADMIN_SEL.configNotice),
    configTitle: $(ADMIN_SEL.configNoticeTitle),
    configSummary: $(ADMIN_SEL.configNoticeSummary),
    configText: $(ADMIN_SEL.configNoticeText),
    configClear: $(ADMIN_SEL.configNoticeClear),
    configEdit: /** @type {HTMLAnchorElement} */ ($(ADMIN_SEL.configNoticeEdit)),
  };
}

/** @typedef {ReturnType<typeof elements>} Els */

function main() {
  initThemeToggle();
  const els = elements();
  const params = new URLSearchParams(window.location.search);
  /** @type {any[]} */
  let providers = [];
  let busy = false;
  /**
   * The configuration the job starts from: `version` is null until it has loaded;
   * `fromDefault` when the Settings default chose it (not the address).
   * @type {{name: string, version: number | null, settings: any, fromDefault?: boolean} | null}
   */
  let configuration = params.get('configuration') ? { name: params.get('configuration') ?? '', version: null, settings: {} } : null;
  /** The saved defaults (Settings); the provider defaults until they have loaded. */
  /** @type {{configuration: string | null, provider: string | null, count: number}} */
  let defaults = { configuration: null, provider: null, count: 1 };
  /** Why a saved default is skipped on this visit (shown in the defaults notice). */
  /** @type {string[]} */
  let defaultsSkipped = [];
  /** The options as the configuration filled them (Clear and “Don’t use a configuration” start from them). */
  /** @type {Record<string, string> | null} */
  let prefill = null;

  // ---- prompt: count and validation -------------------------------------------------

  const showFieldError = (name, message) => {
    const target = name === 'prompt' ? els.promptError : document.querySelector(SEL.fieldError(name));
    const control = name === 'prompt' ? els.prompt : els[name];
    if (target) setText(target, message ?? '');
    if (control) {
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
  };

  const clearErrors = () => {
    for (const name of ['prompt', ...FIELDS, 'seed']) showFieldError(name, '');
    els.formError.hidden = true;
  };

  const promptProblem = () => {
    const n = promptLength(els.prompt.value);
    if (n === 0) return COPY.promptEmpty;
    if (n > PROMPT_MAX) return COPY.promptTooLong(n);
    return null;
  };

  const updateCount = () => {
    const n = promptLength(els.prompt.value);
    setText(els.promptCount, COPY.promptCount(n));
    els.promptCount.classList.toggle('is-over', n > PROMPT_MAX);
    // Say "too long" as soon as it is; other messages wait for the next submit.
    if (n > PROMPT_MAX) showFieldError('prompt', COPY.promptTooLong(n));
    else if (els.prompt.getAttribute('aria-invalid') === 'true' && n > 0) showFieldError('prompt', '');
  };

  els.prompt.addEventListener('input', updateCount);
  els.prompt.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
      event.preventDefault();
      els.form.requestSubmit();
    }
  });

  // ---- options from the server -----------------------------------------------------

  const option = (value, label, selected = false) => h('option', { value, selected }, label);

  const selectedProvider = () => providers.find((p) => p.name === els.provider.value) ?? providers[0];

  function fillProviderOptions(info, wanted = {}) {
    replaceChildren(els.size, ...info.sizes.map((s) => option(s, s.replace('x', ' × '), s === wanted.size)));
    els.steps.min = String(info.min_steps);
    els.steps.max = String(info.max_steps);
    const steps = Number.parseInt(wanted.steps ?? '', 10);
    els.steps.value = String(Number.isFinite(steps) ? steps : info.default_steps);
    setText(els.stepsHint, `${info.min_steps}–${info.max_steps}, default ${info.default_steps}`);
    const styles = info.styles.length ? info.styles : [];
    replaceChildren(els.style,
      option('', COPY.styleNone, !wanted.style),
      ...styles.filter((s) => s !== 'none').map((s) => option(s, s[0].toUpperCase() + s.slice(1), s === wanted.style)));
    els.style.disabled = styles.length === 0;
    els.size.disabled = false;
    els.steps.disabled = false;
    // A provider that takes no seed (OpenAI): the field keeps its value for another one.
    els.seed.disabled = info.supports_seed === false;
    setText(els.seedHint, els.seed.disabled ? DEFAULTS_COPY.seedUnsupported(info.title) : DEFAULTS_COPY.seedHint);
  }

  // ---- the configuration (?configuration=<name>) -----------------------------------------

  /** Its newest version, or null when there is none; never throws. */
  async function loadConfiguration() {
    if (!configuration) return null;
    const { name } = configuration;
    showConfiguration('loading');
    try {
      const [newest] = await configurationsApi.versions(name);
      if (!newest) throw Object.assign(new Error('not found'), { kind: 'not_found' });
      // The name as saved: the server also finds one that differs only in case.
      configuration = { ...configuration, name: newest.name ?? name, version: newest.version, settings: newest.settings ?? {} };
      showConfiguration('ready');
    } catch (error) {
      if (error?.kind === 'not_found' && configuration?.fromDefault) {
        configuration = null; // deleted since it was saved as the default: skip it
        showConfiguration('none');
        skipDefault(DEFAULTS_COPY.configurationGone(name));
      } else if (error?.kind === 'not_found') {
        configuration = null; // nothing to start from: do not send it
        showConfiguration('missing', name);
      } else {
        showConfiguration('error'); // the server resolves the name when the job is created
      }
    }
    return configuration;
  }

  /**
   * @param {'loading' | 'ready' | 'missing' | 'error' | 'none'} state
   * @param {string} [missingName]
   */
  function showConfiguration(state, missingName = '') {
    const notice = els.configNotice;
    notice.hidden = state === 'none';
    if (state === 'none') return;
    const name = configuration?.name ?? missingName;
    notice.className = `callout ${state === 'missing' ? 'tone-warning' : 'tone-info'}`;
    els.configEdit.hidden = state === 'missing';
    els.configEdit.href = `/configurations?${new URLSearchParams({ edit: name }).toString()}`;
    els.configSummary.hidden = state !== 'ready';
    els.configDefault.hidden = !(state === 'ready' && configuration?.fromDefault);
    if (state === 'ready' && configuration) {
      setText(els.configTitle, CONFIG_COPY.usingTitle(name, configuration.version));
      // Only the configuration's own settings: a count it leaves open is the saved
      // default's, shown in the Images field, not part of the configuration.
      const own = configuration.settings;
      setText(els.configSummary, `${summarize(own, providers).join(' · ')} · ${summarizeQc(own)}`);
      setText(els.configText, CONFIG_COPY.usingBody);
    } else if (state === 'loading') {
      setText(els.configTitle, CONFIG_COPY.usingLoading(name));
      setText(els.configText, '');
    } else if (state === 'missing') {
      setText(els.configTitle, CONFIG_COPY.usingMissing(name));
      setText(els.configText, '');
    } else {
      setText(els.configTitle, CONFIG_COPY.usingError(name));
      setText(els.configText, '');
    }
  }

  /** The options the query, then the configuration, then the saved defaults ask for. */
  function wantedOptions() {
    const s = configuration?.settings ?? {};
    const given = (value) => (value === undefined || value === null ? null : String(value));
    return {
      provider: params.get('provider') ?? given(s.provider),
      size: params.get('size') ?? given(s.size),
      steps: params.get('steps') ?? given(s.steps),
      style: params.get('style') ?? given(s.style),
      count: params.get('count') ?? given(s.count),
    };
  }

  const currentOptions = () => ({
    provider: els.provider.value, size: els.size.value, steps: els.steps.value, style: els.style.value, count: els.count.value,
  });

  /** The saved default provider when it can run jobs now; else null (and say why once). */
  function defaultProvider(usable, { explain = false } = {}) {
    const name = defaults.provider;
    if (!name) return null;
    const info = providers.find((p) => p.name === name);
    if (info?.available) return name;
    if (explain) {
      const used = usable[0]?.title ?? '';
      skipDefault(info ? DEFAULTS_COPY.providerUnusable(info.title, info.unavailable_reason, used) : DEFAULTS_COPY.providerGone(name, used));
    }
    return null;
  }

  function skipDefault(message) {
    if (!defaultsSkipped.includes(message)) defaultsSkipped = [...defaultsSkipped, message];
    replaceChildren(els.defaultsNoticeText, ...defaultsSkipped.map((text) => h('p', { text })));
    els.defaultsNotice.hidden = false;
  }

  /**
   * Put options into the form: each one given, else the defaults (saved default provider
   * and count, the provider's own size, steps and style).
   * @param {Record<string, string | null | undefined>} wanted
   */
  function applyOptions(wanted) {
    const usable = providers.filter((p) => p.available);
    const name = [wanted.provider, defaultProvider(usable)].find((n) => n && usable.some((p) => p.name === n)) ?? usable[0]?.name;
    if (name) els.provider.value = name;
    const info = selectedProvider();
    if (info) {
      fillProviderOptions(info, wanted);
      setText(els.optionsStatus, info.description ? `${info.title}. ${info.description}` : info.title);
    }
    els.count.value = wanted.count ?? String(defaults.count);
  }

  els.configClear.addEventListener('click', () => {
    // The options the configuration filled go back to the defaults; the ones changed
    // here stay: they are this job's own choices.
    const filled = prefill ?? {};
    const current = currentOptions();
    /** @type {Record<string, string | null>} */
    const kept = {};
    for (const key of FIELDS) kept[key] = key in filled && current[key] === filled[key] ? null : current[key];
    const fromAddress = !configuration?.fromDefault;
    configuration = null;
    prefill = null;
    showConfiguration('none');
    if (providers.length && !els.size.disabled) applyOptions(kept);
    if (fromAddress) {
      params.delete('configuration');
      const query = params.toString();
      window.history.replaceState(null, '', query ? `?${query}` : window.location.pathname);
    }
    (els.size.disabled ? els.prompt : els.size).focus();
  });

  /** The saved defaults; never throws (without them the form uses the provider defaults). */
  async function loadDefaults() {
    try {
      const prefs = await settingsApi.preferences();
      defaults = { ...defaults, ...(prefs?.defaults ?? {}) };
      const gone = (prefs?.notices ?? []).some((n) => n.group === 'defaults' && n.field === 'configuration');
      const addressChooses = OPTION_PARAMS.some((key) => params.has(key));
      if (defaults.configuration && !addressChooses) {
        if (gone) skipDefault(DEFAULTS_COPY.configurationGone(defaults.configuration));
        else configuration = { name: defaults.configuration, version: null, settings: {}, fromDefault: true };
      }
    } catch {
      // The server's own defaults apply; "server unavailable" is said by the options.
    }
  }

  const configurationLoaded = loadDefaults().then(loadConfiguration);

  async function loadOptions() {
    els.serverError.hidden = true;
    setText(els.optionsStatus, 'Loading the server\'s options…');
    try {
      providers = await api.providers();
    } catch (error) {
      setText(els.optionsStatus, 'Options are unavailable until the server answers.');
      if (error?.unavailable) els.serverError.hidden = false;
      return;
    }
    const usable = providers.filter((p) => p.available);
    if (!usable.length) {
      const p = providers[0];
      setText(els.optionsStatus, p ? COPY.providerUnavailable(p.title, p.unavailable_reason) : 'No provider is configured.');
      return;
    }
    await configurationLoaded;
    const wanted = wantedOptions();
    // One that cannot run jobs is not chosen (its option is disabled): the default is.
    const asked = usable.some((p) => p.name === wanted.provider) ? wanted.provider : null;
    const provider = asked ?? defaultProvider(usable, { explain: true }) ?? usable[0].name;
    replaceChildren(els.provider, ...providers.map((p) => h('option', {
      value: p.name, disabled: !p.available, selected: p.name === provider,
    }, p.available ? p.title : `${p.title} (unavailable)`)));
    els.providerField.hidden = providers.length < 2;
    const info = selectedProvider();
    fillProviderOptions(info, wanted);
    els.count.value = wanted.count ?? String(defaults.count);
    els.count.disabled = false;
    setText(els.optionsStatus, info.description ? `${info.title}. ${info.description}` : info.title);
    if (configuration?.version) {
      prefill = currentOptions();
      showConfiguration('ready'); // now with the providers' titles
    }
    showIgnoredLinkValues();
  }

  /**
   * Say which of the address's choices the form could not take (a provider that is unknown
   * or unavailable, a size or style the provider does not offer): they fell back to the
   * defaults. Steps and count are kept as given and checked on submit.
   */
  function showIgnoredLinkValues() {
    const checks = [['provider', els.provider], ['size', els.size], ['style', els.style]];
    const ignored = checks
      .map(([name, control]) => [name, params.get(name) ?? '', control.value])
      .filter(([name, given, used]) => given !== '' && given !== used && !(name === 'style' && given === 'none'))
      .map(([name, given]) => DEFAULTS_COPY.linkValue(name, given));
    els.linkNotice.hidden = ignored.length === 0;
    setText(els.linkNoticeTitle, ignored.length ? DEFAULTS_COPY.linkIgnored(ignored) : '');
  }

  els.provider.addEventListener('change', () => {
    const info = selectedProvider();
    if (info) {
      fillProviderOptions(info);
      setText(els.optionsStatus, info.description ? `${info.title}. ${info.description}` : info.title);
    }
  });
  els.serverRetry.addEventListener('click', () => {
    loadOptions();
    loadRecent();
  });

  // ---- submit ----------------------------------------------------------------------

  const setBusy = (value) => {
    busy = value;
    els.generate.disabled = value;
    els.generate.setAttribute('aria-busy', String(value));
    setText(els.generate.querySelector('.btn__label'), value ? COPY.generating : COPY.generate);
  };

  function requestBody() {
    const body = { prompt: els.prompt.value.trim() };
    if (providers.length) {
      if (els.provider.value) body.provider = els.provider.value;
      if (els.size.value) body.size = els.size.value;
      const steps = Number(els.steps.value);
      if (els.steps.value !== '') body.steps = steps;
      if (els.style.value) body.style = els.style.value;
      if (els.count.value !== '') body.count = Number(els.count.value);
      if (!els.seed.disabled && els.seed.value !== '') body.seed = Number(els.seed.value);
    }
    if (configuration) {
      body.configuration = configuration.name;
      // Leave out what still is the configuration's own value: it comes from the
      // configuration. Options it does not set (the saved defaults) are sent.
      const set = configuration.settings ?? {};
      for (const key of FIELDS) {
        if (set[key] !== undefined && set[key] !== null && String(body[key] ?? '') === String(set[key])) delete body[key];
      }
      // "No style" chosen over the configuration's style: say so, or its style would apply.
      if (set.style && set.style !== 'none' && !els.style.value) body.style = 'none';
    }
    return body;
  }

  /** Empty, like an empty Steps, leaves the number to the configuration (or 1). */
  function countProblem() {
    if (els.count.disabled || els.count.value === '') return null;
    const n = Number(els.count.value);
    return Number.isInteger(n) && n >= COUNT_MIN && n <= COUNT_MAX ? null : DEFAULTS_COPY.countRange;
  }

  /** Empty is a random seed (a number field also reads as empty while it holds text). */
  function seedProblem() {
    if (els.seed.disabled) return null;
    if (els.seed.value === '') return els.seed.validity?.badInput ? DEFAULTS_COPY.seedRange : null;
    const n = Number(els.seed.value);
    return Number.isInteger(n) && n >= 0 && n <= SEED_MAX ? null : DEFAULTS_COPY.seedRange;
  }

  function stepsProblem() {
    if (els.steps.disabled || els.steps.value === '') return null;
    const n = Number(els.steps.value);
    const min = Number(els.steps.min);
    const max = Number(els.steps.max);
    return Number.isInteger(n) && n >= min && n <= max ? null : COPY.stepsRange(min, max);
  }

  els.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    const problem = promptProblem();
    const stepsError = stepsProblem();
    const countError = countProblem();
    const seedError = seedProblem();
    if (problem || stepsError || countError || seedError) {
      if (problem) showFieldError('prompt', problem);
      if (stepsError) showFieldError('steps', stepsError);
      if (countError) showFieldError('count', countError);
      if (seedError) showFieldError('seed', seedError);
      (problem ? els.prompt : stepsError ? els.steps : countError ? els.count : els.seed).focus();
      recheckServer();
      return;
    }
    setBusy(true);
    try {
      const job = await api.createJob(requestBody());
      window.location.assign(job.links?.page ?? `/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      setBusy(false);
      handleSubmitError(error);
    }
  });

  /** A "Server unavailable" callout from an earlier attempt must not stand beside a
   *  problem found in the form: ask the server again, and drop it once the server answers. */
  function recheckServer() {
    if (els.serverError.hidden) return;
    request('/api/health').then(
      () => { els.serverError.hidden = true; },
      () => {}, // still unavailable: the callout stays
    );
  }

  function handleSubmitError(error) {
    if (!error?.unavailable) els.serverError.hidden = true; // the server answered
    if (error?.serverFault) {
      // The server answered, with an error of its own: not "server unavailable". The form
      // keeps the prompt and options, so trying again is one click.
      setText(els.formErrorTitle, COPY.serverError);
      setText(els.formErrorText, `${COPY.serverErrorHelp(error.status)} ${COPY.promptKept}`);
      els.formError.hidden = false;
      els.generate.focus();
      return;
    }
    setText(els.formErrorTitle, COPY.requestRefused);
    if (error?.unavailable) {
      els.serverError.hidden = false;
      els.serverRetry.focus();
      return;
    }
    if (error?.kind === 'validation') {
      let focused = false;
      const general = [];
      for (const [name, message] of Object.entries(error.fields)) {
        const known = name === 'prompt' || name === 'seed' || FIELDS.includes(name);
        if (known) {
          showFieldError(name, message);
          if (!focused) {
            (name === 'prompt' ? els.prompt : els[name]).focus();
            focused = true;
          }
        } else general.push(message);
      }
      if (!general.length) return;
      setText(els.formErrorText, general.join(' '));
    } else {
      setText(els.formErrorText, error?.message ?? String(error));
    }
    els.formError.hidden = false;
  }

  // ---- clear and examples -----------------------------------------------------------

  els.clear.addEventListener('click', () => {
    els.prompt.value = '';
    els.seed.value = '';
    clearErrors();
    if (configuration && prefill) {
      // Back to the configuration's options; the page keeps using it.
      els.provider.value = prefill.provider;
      fillProviderOptions(selectedProvider(), prefill);
      els.count.value = prefill.count;
    } else if (providers.length && !els.size.disabled) {
      applyOptions({}); // back to the defaults
    }
    updateCount();
    els.linkNotice.hidden = true; // the address's values are gone with it
    const fromAddress = configuration && !configuration.fromDefault;
    const keep = fromAddress ? `?${new URLSearchParams({ configuration: configuration.name }).toString()}` : '';
    if (window.location.search !== keep) window.history.replaceState(null, '', keep || window.location.pathname);
    els.prompt.focus();
  });

  for (const button of $$(SEL.examples)) {
    button.addEventListener('click', () => {
      els.prompt.value = button.dataset.example ?? '';
      updateCount();
      showFieldError('prompt', '');
      els.prompt.focus();
    });
  }

  // ---- recent jobs -----------------------------------------------------------------

  async function loadRecent() {
    els.recent.setAttribute('aria-busy', 'true');
    try {
      const page = await api.listJobs(5);
      renderRecent(page.items ?? []);
    } catch (error) {
      replaceChildren(els.recent, h('p', { class: 'empty', text: COPY.recentError }));
      if (error?.unavailable) els.serverError.hidden = false;
    } finally {
      els.recent.setAttribute('aria-busy', 'false');
    }
  }

  function renderRecent(jobs) {
    if (!jobs.length) {
      replaceChildren(els.recent, h('p', { class: 'empty', text: COPY.recentEmpty }));
      return;
    }
    const now = Date.now();
    const item = (job) => h('li', {},
      h('a', { class: 'recent__item', href: job.links?.page ?? `/jobs/${job.id}` },
        h('span', { class: 'recent__prompt', text: job.label || job.prompt }),
        h('span', { class: 'recent__meta' },
          h('span', { class: 'pill', dataset: { status: job.status }, text: STATUS_LABELS[job.status] ?? job.status }),
          h('time', { datetime: job.created_at, title: longTime(job.created_at), text: timeAgo(job.created_at, now) }),
          h('span', { class: 'mono', text: job.short_id }))));
    replaceChildren(els.recent, h('ul', { class: 'recent__list' }, ...jobs.map(item)));
  }

  // ---- start -----------------------------------------------------------------------

  if (params.has('prompt')) els.prompt.value = params.get('prompt') ?? '';
  if (params.has('seed')) els.seed.value = params.get('seed') ?? '';
  updateCount();
  // data-ready: the form's options (and configuration) are in place (tests, bench/ui.py).
  loadOptions().finally(() => { document.body.dataset.ready = 'true'; });
  loadRecent();
}

main();
