/**
 * One provider on the Settings page: availability (and why not), the secrets it reads and
 * where each comes from (OS keyring, an environment variable's name, or unset — never the
 * value), a password field that stores a new value in the OS keyring, and "Test connection"
 * with its result inline.
 *
 * Where the machine has no keyring the server answers 409 `no_keyring`; the card then says
 * plainly that the key was NOT stored and which environment variable to set, and empties
 * the field (a key that was not stored should not stay in the page).
 *
 * @module components/provider-settings
 */

import { COPY, SETTINGS_COPY as T } from '../copy.js';
import { h, icon, replaceChildren, setText } from '../lib/dom.js';
import { settingsApi } from '../lib/settings-api.js';

/** The secrets a provider reads: by name, `<provider>_…` (genfactory/providers/secrets.py). */
export const secretsOf = (provider, secrets) => secrets.filter((s) => s.name.startsWith(`${provider}_`));

/** "openai_api_key" → "API key" */
export function secretLabel(provider, name) {
  const rest = name.slice(provider.length + 1);
  if (T.secretLabels[rest]) return T.secretLabels[rest];
  const words = rest.replaceAll('_', ' ');
  return words[0].toUpperCase() + words.slice(1);
}

const code = (text) => h('code', { text });

/** Variables joined with "or", each as code. */
function variableList(names) {
  const parts = [];
  names.forEach((name, i) => {
    if (i) parts.push(` ${T.or} `);
    parts.push(code(name));
  });
  return parts;
}

/** @param {{source: string}} secret */
function sourceLine(secret) {
  if (secret.source === 'keyring') return [h('strong', { text: T.sourceKeyring })];
  if (secret.source === 'unset') return [h('strong', { text: T.sourceUnset })];
  return [T.sourceEnv, ' ', code(secret.source), '.'];
}

/**
 * Whether a failed test's reason says the provider has no settings to connect with (the
 * server's reasons then name the variable to set: "no server configured (set
 * GENFACTORY_COMFYUI_URL)", "no API key (set GENFACTORY_OPENAI_API_KEY or …)").
 * @param {string | null | undefined} message
 */
export function isUnconfigured(message) {
  return /\(set (GENFACTORY_|OPENAI_)[A-Z_]+/.test(String(message ?? ''));
}

/** "set GENFACTORY_COMFYUI_URL" from a reason that is not configured ('' if none). */
export function whatToSet(message) {
  return /\((set [^)]+)\)/.exec(String(message ?? ''))?.[1] ?? '';
}

/**
 * @param {'success' | 'error' | 'warning'} tone
 * @param {string} title
 * @param {Array<Node | string>} lines
 * @param {{alert?: boolean}} [options]
 */
function callout(tone, title, lines, { alert = false } = {}) {
  return h('div', { class: `callout tone-${tone} callout--compact`, role: alert ? 'alert' : null },
    icon(tone === 'success' ? 'check-circle' : 'alert'),
    h('div', { class: 'callout__body' },
      h('p', { class: 'callout__title', text: title }),
      ...lines.map((line) => (typeof line === 'string' ? h('p', { text: line }) : line))));
}

/**
 * A button at work: `aria-disabled`, not `disabled`, so the keyboard focus stays on it (a
 * disabled button drops focus to <body>, and a screen reader loses its place); its
 * handler checks `isBusy` instead.
 * @param {HTMLButtonElement} button @param {boolean} busy @param {string} label
 */
function setBusy(button, busy, label) {
  if (busy) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
  button.setAttribute('aria-busy', String(busy));
  setText(/** @type {HTMLElement} */ (button.querySelector('.btn__label')), label);
}

const isBusy = (button) => button.getAttribute('aria-busy') === 'true';

const busyButton = (attrs, label, iconName) => h('button', attrs,
  h('span', { class: 'spinner', 'aria-hidden': 'true' }), iconName ? icon(iconName) : null, h('span', { class: 'btn__label', text: label }));

/**
 * @param {any} provider ProviderPublic
 * @param {{secrets: any[], keyringUsable: boolean, onSecrets: (statuses: any[]) => void,
 *          onTested: () => void}} options
 */
export function createProviderCard(provider, { secrets, keyringUsable, onSecrets, onTested }) {
  const id = `provider-${provider.name}`;
  const pill = h('span', { class: 'pill availability' });
  const reason = h('p', { class: 'provider__reason' });
  const head = h('div', { class: 'provider__head' },
    h('h3', { id: `${id}-title`, class: 'provider__title', text: provider.title }), pill);
  const own = secretsOf(provider.name, secrets);
  const secretViews = own.map((secret) => secretView(secret));
  const testResult = h('div', { class: 'provider__result', id: `${id}-test-result`, role: 'status' });
  const testButton = /** @type {HTMLButtonElement} */ (busyButton({
    type: 'button', class: 'btn btn--secondary btn--small', id: `${id}-test`,
    'aria-describedby': `${id}-test-result`,
  }, T.testConnection, 'radio'));
  const el = h('section', { class: 'card provider', id, 'aria-labelledby': `${id}-title`, dataset: { provider: provider.name } },
    head,
    reason,
    h('p', { class: 'provider__description muted', text: provider.description }),
    h('div', { class: 'provider__secrets' },
      own.length ? secretViews.map((v) => v.el) : h('p', { class: 'muted', text: T.noSecrets })),
    h('div', { class: 'provider__test' }, testButton, testResult));

  /** What the card shows now (its reason, when unavailable). */
  let shown = provider;

  function update(info) {
    shown = info;
    pill.dataset.available = String(info.available);
    setText(pill, info.available ? T.available : T.unavailable);
    reason.hidden = info.available;
    replaceChildren(reason, icon('alert'), h('span', { text: capitalise(info.unavailable_reason ?? '') }));
  }

  testButton.addEventListener('click', async () => {
    if (isBusy(testButton)) return;
    setBusy(testButton, true, T.testing);
    replaceChildren(testResult);
    try {
      const result = await settingsApi.testProvider(provider.name);
      // The reason under the card's title says it already: say it once.
      const known = !shown.available && sentence(result.message) === sentence(shown.unavailable_reason);
      // Not configured: no connection was tried, so it did not "fail". The reason (which
      // names the variable to set) is repeated, and the badge stays "Unavailable".
      const unconfigured = !result.ok && isUnconfigured(result.message);
      replaceChildren(testResult, result.ok
        ? callout('success', T.testOk, [sentence(result.message)])
        : unconfigured
          ? callout('warning', T.notConfigured(whatToSet(result.message)), [T.noAttempt])
          : callout('error', T.testFailed, known ? [] : [sentence(result.message)]));
      onTested();
    } catch (error) {
      replaceChildren(testResult, callout('error', T.testFailed,
        [error?.serverFault ? COPY.serverErrorHelp(error.status)
          : error?.unavailable ? COPY.serverUnavailableHelp
            : T.testError(error?.message ?? String(error))]));
    } finally {
      setBusy(testButton, false, T.testConnection);
    }
  });

  /** @param {any} secret SecretStatus */
  function secretView(secret) {
    const sid = `secret-${secret.name}`;
    const label = secretLabel(provider.name, secret.name);
    const source = h('p', { class: 'secret__source', id: `${sid}-source` });
    const input = /** @type {HTMLInputElement} */ (h('input', {
      type: 'password', class: 'input', id: sid, name: secret.name, autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': `${sid}-source ${sid}-hint ${sid}-error`,
    }));
    const error = h('p', { class: 'field-error', id: `${sid}-error` });
    const result = h('div', { class: 'secret__result', id: `${sid}-result`, 'aria-live': 'polite' });
    const store = /** @type {HTMLButtonElement} */ (busyButton({ type: 'submit', class: 'btn btn--secondary' }, T.store, null));
    const remove = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn btn--ghost btn--danger-text', hidden: true }, T.remove));
    const hint = h('p', { class: 'field__hint', id: `${sid}-hint`,
      text: keyringUsable ? T.secretHintKeyring : T.secretHintNoKeyring(secret.environment) });
    const form = h('form', { class: 'secret__form', novalidate: true },
      h('label', { class: 'field__label', for: sid, text: T.storeLabel(label) }),
      h('div', { class: 'secret__row' }, input, store, remove),
      hint, error, result);
    const view = h('div', { class: 'secret', dataset: { secret: secret.name } },
      h('h4', { class: 'secret__label', text: label }),
      source,
      h('p', { class: 'field__hint' }, T.readsFrom, ' ', ...variableList(secret.environment), '.'),
      form);

    function updateSecret(status) {
      replaceChildren(source, ...sourceLine(status));
      source.dataset.source = status.source;
      remove.hidden = status.source !== 'keyring';
    }

    async function send(value) {
      const button = value === null ? remove : store;
      setText(error, '');
      input.removeAttribute('aria-invalid');
      replaceChildren(result);
      if (value === null) remove.disabled = true;
      else setBusy(store, true, T.storing);
      try {
        const statuses = await settingsApi.storeSecret(secret.name, value);
        input.value = '';
        const done = value === null ? T.removed(label) : T.stored(label);
        replaceChildren(result, callout('success', done, []));
        onSecrets(statuses);
      } catch (failure) {
        if (failure?.kind === 'no_keyring') {
          input.value = '';
          replaceChildren(result, callout('error', T.notStoredTitle, [failure.message, T.notStoredBody], { alert: true }));
        } else if (failure?.kind === 'validation') {
          setText(error, failure.message);
          input.setAttribute('aria-invalid', 'true');
          input.focus();
        } else {
          // Kept in the field: a network failure is worth retrying as it is.
          replaceChildren(result, callout('error', T.notStoredTitle,
            [failure?.serverFault ? COPY.serverErrorHelp(failure.status)
              : failure?.unavailable ? COPY.serverUnavailableHelp : failure?.message ?? String(failure)],
            { alert: true }));
        }
      } finally {
        if (value === null) remove.disabled = false;
        else setBusy(store, false, T.store);
        if (document.activeElement === document.body) button.focus();
      }
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (isBusy(store)) return;
      if (!input.value) {
        setText(error, T.storeEmpty(label));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      send(input.value);
    });
    remove.addEventListener('click', () => send(null));
    updateSecret(secret);
    return { el: view, name: secret.name, update: updateSecret };
  }

  update(provider);
  return {
    el,
    update,
    /** @param {any[]} statuses SecretStatus[] */
    updateSecrets(statuses) {
      for (const view of secretViews) {
        const status = statuses.find((s) => s.name === view.name);
        if (status) view.update(status);
      }
    },
  };
}

const capitalise = (text) => (text ? text[0].toUpperCase() + text.slice(1) : '');
/** "ready" → "Ready." */
const sentence = (text) => {
  const t = capitalise(String(text ?? '').trim());
  return t && !/[.!?]$/.test(t) ? `${t}.` : t;
};
