/**
 * The configuration editor's form: provider-dependent choices (sizes, step range, styles
 * from GET /api/providers), the quality-check fields the server rendered from QCConfig
 * (with the optional OpenAI vision check, and whether an OpenAI API key is set, from
 * GET /api/settings), reading the form into a request body, client-side checks, and errors
 * at their fields (the client's or the server's 422 `detail[].loc/msg`). Nothing the person
 * typed is cleared by an error.
 *
 * @module components/config-form
 */

import { ADMIN_SEL as S, CONFIG_COPY, COPY } from '../copy.js';
import { h, replaceChildren, setText } from '../lib/dom.js';
import { sizeLabel, styleLabel } from '../lib/config-summary.js';
import { settingsApi } from '../lib/settings-api.js';

const SIMPLE_FIELDS = ['name', 'description', 'provider', 'size', 'steps', 'style', 'count', 'model', 'output_format'];
const COUNT_MAX = 16;
/** The provider a job uses when neither it nor its configuration names one
 *  (genfactory/providers/registry.py ProviderRegistry.default): its sizes, steps and styles
 *  are offered while the form's provider is "Server default". */
const SERVER_DEFAULT_PROVIDER = 'procedural';
const NAME_MAX = 100;

/** @param {string} value */
const numberOrNull = (value) => (value === '' || value === undefined ? null : Number(value));

/** The buttons of the form's error callout ("Load the newest version", "Save mine anyway"),
 *  shown only for the error they answer. */
const FORM_ERROR_ACTIONS = '#cfg-form-error-actions';

/** The secret the vision check (and the openai provider) uses. */
const OPENAI_SECRET = 'openai_api_key';
/** The vision check's model names, as genfactory/qc/config.py VisionQC accepts them. */
const VISION_MODEL = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Selectors and words of the vision check (the rest of the form's live in copy.js). */
const VISION_SEL = Object.freeze({
  toggle: '[data-vision-toggle]',
  field: '[data-vision-field]',
  key: '[data-vision-key]',
});
export const VISION_COPY = Object.freeze({
  keySet: (source) => (source === 'keyring'
    ? 'An OpenAI API key is set (stored in the OS keyring).'
    : `An OpenAI API key is set (from the ${source} environment variable).`),
  keyUnset: 'No OpenAI API key is set: images would not be sent, and each would keep the verdict of the checks above.',
  keyUnsetLink: 'Add a key in Settings.',
  keyError: 'Could not find out whether an OpenAI API key is set.',
  modelEmpty: 'Enter an OpenAI model name, for example gpt-4.1-mini.',
  modelUnusable: 'A model name has letters, digits and . _ : - only, and starts with a letter or digit.',
  instructionsEmpty: 'Say what the model should judge.',
});

/**
 * The sentence about the OpenAI key, from GET /api/settings' secret sources.
 * @param {any} settings SettingsPublic, or null when it could not be loaded
 * @returns {{state: 'set' | 'unset' | 'error', text: string}}
 */
export function openaiKeyStatus(settings) {
  const secret = settings?.secrets?.find?.((s) => s.name === OPENAI_SECRET);
  if (!secret) return { state: 'error', text: VISION_COPY.keyError };
  if (secret.source === 'unset') return { state: 'unset', text: VISION_COPY.keyUnset };
  return { state: 'set', text: VISION_COPY.keySet(secret.source) };
}

/**
 * What is wrong with a number field (from its data-min/max/above/integer), or ''.
 * @param {HTMLInputElement} input
 */
function numberProblem(input) {
  const value = numberOrNull(input.value);
  const limits = {
    min: numberOrNull(input.dataset.min ?? ''),
    max: numberOrNull(input.dataset.max ?? ''),
    above: numberOrNull(input.dataset.above ?? ''),
    integer: input.dataset.integer === 'true',
  };
  const bad = value === null || !Number.isFinite(value) || input.validity.badInput
    || (limits.integer && !Number.isInteger(value))
    || (limits.min !== null && value < limits.min)
    || (limits.max !== null && value > limits.max)
    || (limits.above !== null && value <= limits.above);
  return bad ? CONFIG_COPY.thresholdRange(input.dataset.label ?? '', limits) : '';
}

/**
 * The server's message for the `qc` field names the threshold it is about
 * ("Invalid quality checks: min_detail: Input should be …", or "vision.min_score: …" for
 * the vision check): put it at that field.
 * @param {string} message
 * @returns {[string, string]} [field, message]
 */
export function qcErrorField(message) {
  const match = /^Invalid quality checks: ([\w.]+): (.*)$/s.exec(message);
  if (!match) return ['checks', message];
  const [name, sub] = match[1].split('.');
  if (name === 'vision') return [`vision-${sub ?? 'enabled'}`, match[2]];
  return [name, match[2]];
}

/**
 * @param {HTMLFormElement} form
 */
export function createConfigForm(form) {
  const field = (name) => /** @type {HTMLInputElement} */ (form.querySelector(S.configField(name)));
  const els = {
    name: field('name'),
    nameHint: /** @type {HTMLElement} */ (form.querySelector(S.configFieldHint('name'))),
    description: /** @type {HTMLTextAreaElement} */ (/** @type {unknown} */ (field('description'))),
    provider: /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (field('provider'))),
    providersNote: /** @type {HTMLElement} */ (form.querySelector(S.configProvidersNote)),
    size: /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (field('size'))),
    steps: field('steps'),
    stepsHint: /** @type {HTMLElement} */ (form.querySelector(S.configFieldHint('steps'))),
    style: /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (field('style'))),
    count: field('count'),
    model: field('model'),
    format: /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (field('output_format'))),
    checks: /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll(S.configQcCheck)]),
    thresholds: /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll(S.configQcThreshold)]),
    qcStatus: /** @type {HTMLElement} */ (form.querySelector(S.configQcStatus)),
    vision: /** @type {HTMLInputElement} */ (form.querySelector(VISION_SEL.toggle)),
    visionFields: /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll(VISION_SEL.field)]),
    visionKey: /** @type {HTMLElement} */ (form.querySelector(VISION_SEL.key)),
    formError: /** @type {HTMLElement} */ (form.querySelector(S.configFormError)),
    formErrorTitle: /** @type {HTMLElement} */ (form.querySelector(S.configFormErrorTitle)),
    formErrorText: /** @type {HTMLElement} */ (form.querySelector(S.configFormErrorText)),
    formErrorActions: /** @type {HTMLElement} */ (form.querySelector(FORM_ERROR_ACTIONS)),
    save: /** @type {HTMLButtonElement} */ (form.querySelector(S.configSave)),
  };

  /** @type {any[]} */
  let providers = [];
  /** @type {'new' | 'edit' | 'duplicate'} */
  let mode = 'new';
  /** names that exist (a new name must not be one of them) */
  let taken = new Set();
  /** @type {{provider: string, size: any, steps: any, style: any} | null}
   *  choices filled in before the providers arrived */
  let pending = null;
  /** What the form held when it was last filled, to tell whether anything was changed. */
  let baseline = '';

  /** The chosen provider; for "Server default" (''), the server's default provider. */
  const info = () => {
    if (els.provider.value) return providers.find((p) => p.name === els.provider.value) ?? null;
    return providers.find((p) => p.name === SERVER_DEFAULT_PROVIDER) ?? providers.find((p) => p.available) ?? providers[0] ?? null;
  };
  const option = (value, label, selected = false, disabled = false) => h('option', { value, selected, disabled }, label);

  // ---- provider-dependent choices --------------------------------------------------------

  /**
   * Sizes, steps and styles of the chosen provider, keeping what was chosen when the new
   * provider offers it too.
   * @param {{size?: string | null, steps?: number | string | null, style?: string | null}} wanted
   */
  function fillChoices(wanted) {
    const p = info();
    if (!p) return;
    const size = wanted.size ?? '';
    const sizes = p.sizes.map((s) => option(s, sizeLabel(s), s === size));
    if (size && !p.sizes.includes(size)) sizes.push(option(size, `${sizeLabel(size)} (not offered)`, true, true));
    replaceChildren(els.size, option('', CONFIG_COPY.providerDefault, !size), ...sizes);
    els.steps.min = String(p.min_steps);
    els.steps.max = String(p.max_steps);
    els.steps.placeholder = String(p.default_steps);
    els.steps.value = wanted.steps === null || wanted.steps === undefined ? '' : String(wanted.steps);
    setText(els.stepsHint, CONFIG_COPY.stepsHint(p.min_steps, p.max_steps, p.default_steps));
    const style = wanted.style ?? '';
    const styles = p.styles.filter((s) => s !== 'none');
    const styleOptions = styles.map((s) => option(s, styleLabel(s), s === style));
    if (style && style !== 'none' && !styles.includes(style)) styleOptions.push(option(style, `${styleLabel(style)} (not offered)`, true, true));
    replaceChildren(els.style, option('', COPY.styleNone, !style || style === 'none'), ...styleOptions);
    els.size.disabled = false;
    els.steps.disabled = false;
    els.style.disabled = styleOptions.length === 0;
  }

  function setProviderNote() {
    const down = providers.filter((p) => !p.available);
    const note = down.map((p) => `${COPY.providerUnavailable(p.title, p.unavailable_reason).replace(/\.?$/, '.')}`);
    replaceChildren(els.providersNote, note.join(' '), down.length ? ' ' : '',
      down.length ? h('a', { href: '/settings', text: 'Set up providers in Settings.' }) : null);
  }

  /**
   * @param {any[] | null} list ProviderPublic[], or null when they could not be loaded
   */
  function setProviders(list) {
    if (!list) {
      setText(els.providersNote, CONFIG_COPY.providersError);
      return;
    }
    const untouched = !isDirty();
    const current = pending?.provider ?? els.provider.value;
    const wanted = pending ?? { size: els.size.value || null, steps: els.steps.value, style: els.style.value || null };
    pending = null;
    providers = list;
    // "Server default" first: a configuration that names no provider keeps naming none
    // (jobs then use the Settings default provider, or the server's).
    const options = [option('', CONFIG_COPY.providerServerDefault, !current),
      ...list.map((p) => option(p.name, CONFIG_COPY.providerOption(p.title, p.available), p.name === current, !p.available))];
    if (current && !list.some((p) => p.name === current)) options.push(option(current, `${current} (unknown)`, true, true));
    replaceChildren(els.provider, ...options);
    els.provider.value = current;
    els.provider.disabled = false;
    setProviderNote();
    // Size, steps and style left empty follow the provider's defaults (nothing is saved).
    fillChoices(wanted);
    // The choices just filled in are what the form was filled with, not a change.
    if (untouched) markClean();
  }

  els.provider.addEventListener('change', () => {
    showError('provider', '');
    fillChoices({ size: els.size.value || null, steps: els.steps.value, style: els.style.value });
  });

  // ---- quality checks ---------------------------------------------------------------------

  function syncChecks() {
    const on = new Set(els.checks.filter((c) => c.checked).map((c) => c.value));
    for (const input of els.thresholds) {
      input.disabled = !on.has(input.dataset.check ?? '');
      if (input.disabled) showError(input.dataset.qcThreshold ?? '', '');
    }
    els.qcStatus.hidden = on.size > 0;
    setText(els.qcStatus, on.size ? '' : CONFIG_COPY.qcOff);
  }
  for (const check of els.checks) check.addEventListener('change', syncChecks);

  /** @returns {Record<string, any> | undefined} only what differs from QCConfig's defaults */
  function readQc() {
    const qc = {};
    const checks = els.checks.filter((c) => c.checked).map((c) => c.value);
    const defaults = els.checks.filter((c) => c.dataset.default === 'true').map((c) => c.value);
    if (checks.join() !== defaults.join()) qc.checks = checks;
    for (const input of els.thresholds) {
      const value = numberOrNull(input.value);
      if (value === null || value === Number(input.dataset.default)) continue;
      qc[input.dataset.qcThreshold ?? ''] = value;
    }
    const vision = readVision();
    if (vision) qc.vision = vision;
    return Object.keys(qc).length ? qc : undefined;
  }

  // ---- the vision check -------------------------------------------------------------------

  const visionName = (input) => input.dataset.visionField ?? '';
  const isNumber = (input) => input.dataset.visionNumber !== undefined;

  function syncVision() {
    for (const input of els.visionFields) {
      input.disabled = !els.vision.checked;
      if (input.disabled) showError(`vision-${visionName(input)}`, '');
    }
  }
  els.vision.addEventListener('change', syncVision);

  /**
   * `{enabled, …fields that differ from VisionQC's defaults}`; undefined when it is off
   * and nothing was changed (so a configuration without it stays without it).
   * @returns {Record<string, any> | undefined}
   */
  function readVision() {
    const vision = {};
    for (const input of els.visionFields) {
      const text = input.value.trim();
      if (isNumber(input)) {
        const value = numberOrNull(text);
        if (value === null || value === Number(input.dataset.default)) continue;
        vision[visionName(input)] = value;
      } else if (text && text !== input.dataset.default) {
        vision[visionName(input)] = text;
      }
    }
    if (!els.vision.checked && !Object.keys(vision).length) return undefined;
    return { enabled: els.vision.checked, ...vision };
  }

  /** @param {any} vision the stored `qc.vision`, or null */
  function fillVision(vision) {
    els.vision.checked = Boolean(vision?.enabled);
    for (const input of els.visionFields) {
      const value = vision?.[visionName(input)];
      input.value = String(value ?? input.dataset.default ?? '');
    }
    syncVision();
  }

  /** @param {Record<string, string>} problems */
  function validateVision(problems) {
    if (!els.vision.checked) return;
    for (const input of els.visionFields) {
      const name = `vision-${visionName(input)}`;
      const text = input.value.trim();
      if (isNumber(input)) {
        const problem = numberProblem(input);
        if (problem) problems[name] = problem;
      } else if (visionName(input) === 'model') {
        if (!text) problems[name] = VISION_COPY.modelEmpty;
        else if (!VISION_MODEL.test(text)) problems[name] = VISION_COPY.modelUnusable;
      } else if (visionName(input) === 'instructions' && !text) {
        problems[name] = VISION_COPY.instructionsEmpty;
      }
    }
  }

  /** Say whether the server has an OpenAI API key (never its value). */
  async function loadKeyStatus() {
    let settings = null;
    try {
      settings = await settingsApi.settings();
    } catch {
      settings = null;
    }
    const status = openaiKeyStatus(settings);
    els.visionKey.dataset.state = status.state;
    replaceChildren(els.visionKey, status.text,
      status.state === 'unset' ? ' ' : '',
      status.state === 'unset' ? h('a', { href: '/settings', text: VISION_COPY.keyUnsetLink }) : null);
  }

  // ---- fill and read ----------------------------------------------------------------------

  /**
   * @param {{mode: 'new' | 'edit' | 'duplicate', name?: string, description?: string,
   *          settings?: any, taken?: Iterable<string>}} options
   */
  function fill(options) {
    mode = options.mode;
    taken = new Set(options.taken ?? []);
    clearErrors();
    const s = options.settings ?? {};
    els.name.value = options.name ?? '';
    els.name.readOnly = mode === 'edit';
    setText(els.nameHint, mode === 'edit' ? CONFIG_COPY.nameHintEdit : CONFIG_COPY.nameHintNew);
    els.description.value = options.description ?? '';
    const provider = s.provider ?? '';
    // A field the settings leave out stays empty ("Server default", "Provider's default"):
    // a form saves only what the person chose, so an edit never pins a provider or size
    // nobody picked.
    if (!providers.length) {
      pending = { provider, size: s.size ?? null, steps: s.steps ?? null, style: s.style ?? null };
    } else {
      if (provider && ![...els.provider.options].some((o) => o.value === provider)) {
        els.provider.append(option(provider, `${provider} (unknown)`, false, true));
      }
      els.provider.value = provider;
      fillChoices({ size: s.size ?? null, steps: s.steps ?? null, style: s.style ?? null });
    }
    // Empty when the settings leave it out (the Start page then fills in the saved default
    // count, the API and CLI 1): filling in "1" would save a new version of an API-made
    // configuration that nobody changed.
    els.count.value = s.count == null ? '' : String(s.count);
    els.model.value = s.model ?? '';
    els.format.value = s.output_format ?? '';
    const qc = s.qc ?? {};
    const checks = Array.isArray(qc.checks) ? new Set(qc.checks) : null;
    for (const check of els.checks) check.checked = checks ? checks.has(check.value) : check.dataset.default === 'true';
    for (const input of els.thresholds) {
      const name = input.dataset.qcThreshold ?? '';
      input.value = String(qc[name] ?? input.dataset.default);
    }
    syncChecks();
    fillVision(qc.vision ?? null);
    markClean();
  }

  // ---- unsaved changes --------------------------------------------------------------------

  /** Every control's value as typed (also what read() would leave out, such as a number
   *  the browser cannot parse), so that any edit counts. */
  function snapshot() {
    const values = [...form.elements].map((el) => {
      const control = /** @type {HTMLInputElement} */ (el);
      if (!control.name && !control.id) return '';
      return control.type === 'checkbox' ? String(control.checked) : control.value;
    });
    return JSON.stringify(values);
  }

  /** Whether the form differs from what it was last filled with (or saved). */
  function isDirty() {
    return baseline !== '' && snapshot() !== baseline;
  }

  /** What the form holds now is what was loaded or saved. */
  function markClean() {
    baseline = snapshot();
  }

  /** @returns {{name: string, description: string, settings: Record<string, any>}} */
  function read() {
    const settings = {};
    if (els.provider.value) settings.provider = els.provider.value;
    if (els.size.value) settings.size = els.size.value;
    if (els.steps.value !== '') settings.steps = Number(els.steps.value);
    if (els.style.value) settings.style = els.style.value;
    if (els.count.value !== '') settings.count = Number(els.count.value);
    if (els.model.value.trim()) settings.model = els.model.value.trim();
    if (els.format.value) settings.output_format = els.format.value;
    const qc = readQc();
    if (qc) settings.qc = qc;
    return { name: els.name.value.trim(), description: els.description.value.trim(), settings };
  }

  // ---- checks and errors --------------------------------------------------------------------

  /** @returns {Record<string, string>} field → message, empty when the form is fine */
  function validate() {
    const problems = {};
    if (mode !== 'edit') {
      const name = els.name.value.trim();
      if (!name) problems.name = CONFIG_COPY.nameEmpty;
      else if (name.length > NAME_MAX) problems.name = CONFIG_COPY.nameTooLong;
      else if (name.includes('/') || name === '.' || name === '..') problems.name = CONFIG_COPY.nameUnusable;
      else if (taken.has(name)) problems.name = CONFIG_COPY.nameTaken(name);
    }
    const p = info();
    if (p && els.steps.value !== '') {
      const n = Number(els.steps.value);
      if (!Number.isInteger(n) || n < p.min_steps || n > p.max_steps) problems.steps = COPY.stepsRange(p.min_steps, p.max_steps);
    } else if (els.steps.validity.badInput) {
      problems.steps = p ? COPY.stepsRange(p.min_steps, p.max_steps) : COPY.stepsRange(1, 150);
    }
    if (els.count.value !== '' || els.count.validity.badInput) {
      const n = Number(els.count.value);
      if (els.count.validity.badInput || !Number.isInteger(n) || n < 1 || n > COUNT_MAX) problems.count = CONFIG_COPY.countRange;
    }
    for (const input of els.thresholds) {
      if (input.disabled) continue;
      const problem = numberProblem(input);
      if (problem) problems[input.dataset.qcThreshold ?? ''] = problem;
    }
    validateVision(problems);
    return problems;
  }

  /** @param {string} name @param {string} message */
  function showError(name, message) {
    const target = form.querySelector(S.configFieldError(name));
    if (!target) return false;
    setText(target, message);
    const control = name === 'checks' ? null : form.querySelector(S.configField(name));
    if (control) {
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
    return true;
  }

  function clearErrors() {
    for (const el of form.querySelectorAll('.field-error')) setText(/** @type {HTMLElement} */ (el), '');
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    els.formError.hidden = true;
  }

  /** The first control with an error, for focus. */
  function firstInvalid() {
    const el = form.querySelector('[aria-invalid="true"]');
    if (el) return /** @type {HTMLElement} */ (el);
    return els.checks.find((c) => !c.disabled) ?? null;
  }

  /**
   * Errors at their fields (focus moves to the first); the rest in the form's callout.
   * @param {Record<string, string>} fields
   * @param {{title?: string}} [options]
   */
  function showErrors(fields, { title } = {}) {
    const general = [];
    let atFields = 0;
    for (const [rawName, rawMessage] of Object.entries(fields)) {
      const [name, message] = rawName === 'qc' ? qcErrorField(rawMessage) : [rawName, rawMessage];
      const known = SIMPLE_FIELDS.includes(name) || name === 'checks' || name.startsWith('vision-')
        || els.thresholds.some((t) => t.dataset.qcThreshold === name);
      if (known && showError(name, message)) atFields += 1;
      else general.push(message);
    }
    if (general.length) showFormError(title ?? COPY.formRejected, general.join(' '));
    else if (atFields) showFormError(CONFIG_COPY.conflictTitle, CONFIG_COPY.fixFields(atFields));
    const target = firstInvalid();
    if (atFields && target) target.focus();
    else if (general.length) els.formError.focus();
  }

  /**
   * @param {string} title @param {string} text
   * @param {{actions?: boolean}} [options] `actions`: show the callout's buttons
   */
  function showFormError(title, text, { actions = false } = {}) {
    setText(els.formErrorTitle, title);
    setText(els.formErrorText, text);
    els.formErrorActions.hidden = !actions;
    els.formError.hidden = false;
  }

  /** @param {boolean} busy @param {string} label */
  function setBusy(busy, label) {
    els.save.disabled = busy;
    els.save.setAttribute('aria-busy', String(busy));
    setText(/** @type {HTMLElement} */ (els.save.querySelector('.btn__label')), label);
  }

  els.formError.tabIndex = -1;
  syncVision();
  loadKeyStatus();

  return {
    els, setProviders, fill, read, validate, showErrors, showFormError, clearErrors, setBusy, isDirty, markClean,
    focusName: () => { els.name.focus(); els.name.select(); },
  };
}
