/**
 * Configurations (`/configurations`): the list (GET /api/configurations), the editor
 * (create = version 1, edit = a new version, duplicate = a new name from any version),
 * the version history of a name, delete (only while unused: the server's 409 is shown),
 * and links that start a job with a configuration (`/?configuration=<name>`).
 *
 * `?edit=<name>` opens that configuration's editor (the Start page links here with it);
 * `?edit=<version id>` (as the CLI accepts) opens its name with that version in the form.
 * After a save the focus goes to the editor's heading, as on the Settings page.
 * Edits are never thrown away unasked: an action that replaces or closes the form asks
 * "Discard unsaved changes?" first, and leaving the page asks the browser's question, both
 * only while the form holds changes that are not saved.
 * `body[data-ready="true"]` once the first list is rendered (for tests and bench/ui.py).
 *
 * @module pages/configurations
 */

import { api } from '../lib/api.js';
import { configurationsApi, jobsUsingUrl, startJobUrl } from '../lib/configurations-api.js';
import { sameVersion } from '../lib/config-summary.js';
import { settingsApi } from '../lib/settings-api.js';
import { ADMIN_SEL as S, CONFIG_COPY, COPY, SEL } from '../copy.js';
import { $, announce, h, replaceChildren, setText } from '../lib/dom.js';
import { initThemeToggle } from '../lib/theme.js';
import { createConfigForm } from '../components/config-form.js';
import { renderHistory } from '../components/config-history.js';
import { renderList, renderListError } from '../components/config-list.js';
import { confirmDialog } from '../components/dialog.js';
import { toast } from '../components/toast.js';

/** The "Discard unsaved changes?" dialog (its words are in the template). */
const DISCARD_SEL = Object.freeze({
  dialog: '#config-discard-dialog',
  confirm: '#config-discard-confirm',
  keep: '#config-discard-keep',
});

/** The answers to "someone else saved a newer version" (in the form's error callout), and
 *  the delete dialog's note about the default configuration. */
const PAGE_SEL = Object.freeze({
  staleLoad: '#cfg-stale-load',
  staleSave: '#cfg-stale-save',
  deleteDefault: '#config-delete-default',
});

/** How a version id looks (genfactory/store: a UUID's 32 hex digits). */
const VERSION_ID = /^[0-9a-f]{32}$/i;

/**
 * `base` (edit): the newest version when the form was filled, sent as `base_version` so
 * that a save on top of a version saved elsewhere since is refused, not silently undone.
 * @typedef {{kind: 'new'} | {kind: 'edit', name: string, inForm: number | null, base: number | null}
 *   | {kind: 'duplicate', name: string, version: number}} EditorMode
 */

function main() {
  initThemeToggle();
  const params = new URLSearchParams(window.location.search);
  const els = {
    newButton: /** @type {HTMLButtonElement} */ ($(S.configNew)),
    serverError: $(S.configServerError),
    serverRetry: $(S.configServerRetry),
    list: $(S.configList),
    count: $(S.configCount),
    listError: $(S.configListError),
    listStatus: $(S.configListStatus),
    listErrorText: $(S.configListErrorText),
    workspace: $(S.configWorkspace),
    title: $(S.configEditorTitle),
    lead: $(S.configEditorLead),
    form: /** @type {HTMLFormElement} */ ($(S.configForm)),
    cancel: $(S.configCancel),
    start: /** @type {HTMLAnchorElement} */ ($(S.configStartLink)),
    history: $(S.configVersions),
    dialog: /** @type {HTMLDialogElement} */ ($(S.deleteDialog)),
    deleteTitle: $(S.deleteTitle),
    deleteUsed: $(S.deleteUsed),
    deleteDefault: $(PAGE_SEL.deleteDefault),
    staleLoad: /** @type {HTMLButtonElement} */ ($(PAGE_SEL.staleLoad)),
    staleSave: /** @type {HTMLButtonElement} */ ($(PAGE_SEL.staleSave)),
    discardDialog: /** @type {HTMLDialogElement} */ ($(DISCARD_SEL.dialog)),
  };
  const form = createConfigForm(els.form);

  /** @type {any[]} */
  let providers = [];
  /** @type {any[]} newest version of each name */
  let items = [];
  /** @type {any[]} versions of the name in the editor, newest first */
  let versions = [];
  /** @type {EditorMode | null} */
  let editor = null;
  /** @type {HTMLElement | null} where the keyboard goes when the editor closes */
  let opener = null;
  let saving = false;
  let historyRequest = 0;

  const byName = (name) => items.find((i) => i.name === name) ?? null;
  /** No answer (or a proxy saying the server is unreachable): the page's "Server
   *  unavailable" callout. A 500 is an answer, with an error of the server's own. */
  const isDown = (error) => Boolean(error?.unavailable && !error?.serverFault);
  const serverDown = (error) => {
    if (isDown(error)) els.serverError.hidden = false;
  };
  /** What went wrong, in words, for a callout's text. */
  const failureText = (error) => {
    if (error?.serverFault) return COPY.serverErrorHelp(error.status);
    if (isDown(error)) return COPY.serverUnavailableHelp;
    return error?.message ?? String(error);
  };

  // ---- list ------------------------------------------------------------------------------

  /** @returns {Promise<any>} null when the list was read, else the error */
  async function fetchList() {
    try {
      items = await configurationsApi.list();
      return null;
    } catch (error) {
      serverDown(error);
      return error ?? new Error('failed');
    }
  }

  /** @param {any} error from fetchList @param {{highlight?: string | null}} [options] */
  function showList(error, { highlight = null } = {}) {
    if (error) {
      renderListError(els.list, {
        retry: !isDown(error), detail: error.serverFault ? COPY.serverErrorHelp(error.status) : '',
      });
      setText(els.count, '');
      return;
    }
    renderList(els.list, items, providers, { highlight });
    setText(els.count, items.length ? CONFIG_COPY.count(items.length) : '');
  }

  async function loadList(options = {}) {
    showList(await fetchList(), options);
  }

  async function loadProviders() {
    try {
      providers = await api.providers();
      form.setProviders(providers);
      syncSave();
    } catch (error) {
      serverDown(error);
      form.setProviders(null);
    }
  }

  function hideListError() {
    els.listError.hidden = true;
  }

  // ---- editor ----------------------------------------------------------------------------

  /** Names a new configuration may not take. */
  const takenNames = () => items.map((i) => i.name);

  function uniqueCopyName(name) {
    const taken = new Set(takenNames());
    for (let n = 1; n < 1000; n += 1) {
      const candidate = CONFIG_COPY.copyName(name, n).slice(0, 100);
      if (!taken.has(candidate)) return candidate;
    }
    return '';
  }

  function setEditorText() {
    if (!editor) return;
    // `base` is the newest version too, and it is known before the history has reloaded
    // (right after a save, the history still ends at the version before).
    const newest = Math.max(versions[0]?.version ?? byName(editor.kind === 'new' ? '' : editor.name)?.version ?? 0,
      editor.kind === 'edit' ? editor.base ?? 0 : 0);
    let label = CONFIG_COPY.saveNew;
    if (editor.kind === 'new') {
      setText(els.title, CONFIG_COPY.editorNew);
      setText(els.lead, CONFIG_COPY.leadNew);
    } else if (editor.kind === 'edit') {
      setText(els.title, CONFIG_COPY.editorEdit(editor.name));
      const loaded = editor.inForm;
      setText(els.lead, loaded !== null && loaded !== newest
        ? CONFIG_COPY.leadLoaded(loaded, newest + 1)
        : CONFIG_COPY.leadEdit(newest + 1));
      label = CONFIG_COPY.saveVersion(newest + 1);
    } else {
      setText(els.title, CONFIG_COPY.editorDuplicate(editor.name, editor.version));
      setText(els.lead, CONFIG_COPY.leadDuplicate);
      label = CONFIG_COPY.saveDuplicate;
    }
    form.setBusy(saving, saving ? CONFIG_COPY.saving : label);
    syncSave();
    els.start.hidden = editor.kind !== 'edit';
    if (editor.kind === 'edit') els.start.href = startJobUrl(editor.name);
  }

  /** The newest version of the name in the editor, as far as the page knows it. */
  const newestVersion = () => {
    if (!editor || editor.kind !== 'edit') return null;
    const listed = byName(editor.name);
    const fromHistory = versions[0] ?? null;
    if (fromHistory && (!listed || fromHistory.version >= listed.version)) return fromHistory;
    return listed;
  };

  /** "Save as version N" only while the form differs from the newest version: saving the
   *  same settings again would make no version (the server refuses it). */
  function syncSave() {
    if (!editor || saving) return;
    const newest = newestVersion();
    const same = editor.kind === 'edit' && newest !== null
      && (editor.base === null || newest.version === editor.base) && sameVersion(form.read(), newest);
    form.els.save.disabled = same;
    form.els.save.title = same ? CONFIG_COPY.saveUnchanged : '';
  }
  els.form.addEventListener('input', syncSave);
  els.form.addEventListener('change', syncSave);

  function renderVersions(state = 'ready') {
    if (!editor || editor.kind === 'new') {
      renderHistory(els.history, { state: 'new' });
      return;
    }
    renderHistory(els.history, {
      state, versions, providers, inForm: editor.kind === 'edit' ? editor.inForm : editor.version,
    });
  }

  async function loadVersions(name) {
    const ticket = ++historyRequest;
    renderVersions('loading');
    try {
      const list = await configurationsApi.versions(name);
      if (ticket !== historyRequest) return;
      versions = list;
      renderVersions('ready');
      syncSave();
    } catch (error) {
      if (ticket !== historyRequest) return;
      serverDown(error);
      renderVersions('error');
    }
    setEditorText();
  }

  /**
   * @param {EditorMode} mode
   * @param {{settings?: any, description?: string}} [source]
   */
  function openEditor(mode, source = {}) {
    const sameName = editor && editor.kind !== 'new' && mode.kind !== 'new' && editor.name === mode.name;
    opener = /** @type {HTMLElement | null} */ (document.activeElement);
    editor = mode;
    if (!sameName) versions = [];
    hideListError();
    form.fill({
      mode: mode.kind,
      name: mode.kind === 'edit' ? mode.name : mode.kind === 'duplicate' ? uniqueCopyName(mode.name) : '',
      description: source.description ?? '',
      settings: source.settings,
      taken: takenNames(),
    });
    els.workspace.hidden = false;
    setEditorText();
    if (mode.kind === 'new') renderVersions();
    else if (sameName && versions.length) renderVersions('ready');
    else loadVersions(mode.name);
    if (mode.kind === 'edit') els.title.focus();
    else form.focusName();
    els.workspace.scrollIntoView({ block: 'start', behavior: 'instant' });
  }

  function closeEditor() {
    editor = null;
    versions = [];
    els.workspace.hidden = true;
    form.clearErrors();
    const back = opener && document.contains(opener) && !els.workspace.contains(opener) ? opener : els.newButton;
    back.focus();
  }

  /** Whether the open editor holds changes that are not saved. */
  const unsaved = () => editor !== null && !els.workspace.hidden && form.isDirty();

  /**
   * Ask before an action replaces or closes a form with unsaved changes (nothing is asked
   * when it has none). Focus goes back to the button that asked, so the editor returns to it.
   * @returns {Promise<boolean>} whether to go on
   */
  async function discardChanges() {
    if (!unsaved()) return true;
    const from = document.activeElement;
    const yes = await confirmDialog(els.discardDialog, {
      confirm: $(DISCARD_SEL.confirm), keep: $(DISCARD_SEL.keep),
    });
    if (yes && from instanceof HTMLElement && document.contains(from)) from.focus({ preventScroll: true });
    return yes;
  }

  // The browser's own "Leave site?" question, for links, reloads and closing the tab.
  window.addEventListener('beforeunload', (event) => {
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = ''; // older browsers ask only when this is set
  });

  function editByName(name) {
    const item = byName(name);
    if (!item) return;
    openEditor({ kind: 'edit', name, inForm: item.version, base: item.version }, item);
  }

  // ---- save ------------------------------------------------------------------------------

  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });

  /**
   * @param {{anyway?: boolean}} [options] `anyway`: save as the next version even when
   *   another was saved since the form was filled (no `base_version`)
   */
  async function save({ anyway = false } = {}) {
    if (!editor || saving) return;
    form.clearErrors();
    const problems = form.validate();
    if (Object.keys(problems).length) {
      form.showErrors(problems);
      return;
    }
    const body = form.read();
    const mode = editor;
    saving = true;
    setEditorText();
    let saved;
    try {
      saved = mode.kind === 'edit'
        ? await configurationsApi.saveVersion(mode.name, {
          description: body.description,
          settings: body.settings,
          ...(anyway || mode.base === null ? {} : { base_version: mode.base }),
        })
        : await configurationsApi.create(body);
    } catch (error) {
      saving = false;
      setEditorText();
      handleSaveError(error);
      // Save was disabled while it ran and lost the focus: give it back.
      if (document.activeElement === document.body) form.els.save.focus();
      return;
    }
    saving = false;
    const message = mode.kind === 'edit' ? CONFIG_COPY.saved(saved.name, saved.version) : CONFIG_COPY.created(saved.name);
    toast(message, { tone: 'success' }); // the toasts region announces it
    // "The form shows version N…" no longer holds: the form shows the newest now.
    const announcer = document.querySelector(SEL.announcer);
    if (announcer) announcer.textContent = '';
    // Keep editing what was saved: the history now shows the new version.
    editor = { kind: 'edit', name: saved.name, inForm: saved.version, base: saved.version };
    form.fill({ mode: 'edit', name: saved.name, description: saved.description, settings: saved.settings, taken: takenNames() });
    setEditorText();
    els.title.focus({ preventScroll: true });
    await loadList({ highlight: saved.name });
    loadVersions(saved.name);
  }

  function handleSaveError(error) {
    if (error?.serverFault) {
      // The server answered, with an error of its own: not "server unavailable".
      els.serverError.hidden = true;
      form.showFormError(COPY.serverError, `${COPY.serverErrorHelp(error.status)} ${CONFIG_COPY.formKept}`);
      form.els.formError.focus();
      return;
    }
    if (error?.unavailable) {
      serverDown(error);
      form.showFormError(COPY.serverUnavailable, COPY.serverUnavailableHelp);
      return;
    }
    if (error?.kind === 'stale_version' && editor?.kind === 'edit') {
      // Another tab or client saved a version since the form was filled: show it in the
      // history and list, and let the person choose (nothing they typed is lost).
      form.showFormError(CONFIG_COPY.staleTitle, error.message, { actions: true });
      els.staleLoad.focus();
      loadVersions(editor.name);
      loadList();
      return;
    }
    if (error?.kind === 'validation') {
      form.showErrors(error.fields);
      return;
    }
    if (error?.kind === 'conflict' && editor?.kind === 'edit') {
      // "Nothing changed: version N already has these settings." (no version was made)
      form.showErrors({ request: error.message }, { title: CONFIG_COPY.conflictTitle });
      return;
    }
    if (error?.kind === 'conflict') {
      form.showErrors({ name: error.message });
      return;
    }
    if (error?.kind === 'not_found' && editor?.kind === 'edit') {
      form.showFormError(CONFIG_COPY.conflictTitle, error.message);
      loadList();
      return;
    }
    form.showErrors({ request: error?.message ?? String(error) });
  }

  els.cancel.addEventListener('click', async () => {
    if (await discardChanges()) closeEditor();
  });

  els.staleSave.addEventListener('click', () => save({ anyway: true }));

  /** Replace the form with the newest version (the person asked to, after a stale save). */
  els.staleLoad.addEventListener('click', async () => {
    if (!editor || editor.kind !== 'edit') return;
    const name = editor.name;
    await loadVersions(name);
    const newest = versions[0];
    if (!newest || !editor || editor.kind !== 'edit' || editor.name !== name) return;
    editor = { kind: 'edit', name, inForm: newest.version, base: newest.version };
    form.fill({ mode: 'edit', name, description: newest.description, settings: newest.settings, taken: takenNames() });
    setEditorText();
    renderVersions('ready');
    announce(CONFIG_COPY.leadLoaded(newest.version, newest.version + 1));
    els.title.focus();
  });

  // ---- history actions ---------------------------------------------------------------------

  els.history.addEventListener('click', async (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action]');
    if (!button || !editor || editor.kind === 'new') return;
    const name = editor.name;
    const version = versions.find((v) => String(v.version) === button.dataset.version);
    const replacesForm = button.dataset.action === 'load' || button.dataset.action === 'duplicate-version';
    if (replacesForm && (!version || !(await discardChanges()))) return;
    switch (button.dataset.action) {
      case 'load':
        if (!version) return;
        editor = { kind: 'edit', name, inForm: version.version, base: versions[0]?.version ?? version.version };
        form.fill({ mode: 'edit', name, description: version.description, settings: version.settings, taken: takenNames() });
        setEditorText();
        renderVersions('ready');
        announce(CONFIG_COPY.leadLoaded(version.version, (versions[0]?.version ?? 0) + 1));
        els.title.focus();
        break;
      case 'duplicate-version':
        if (version) openEditor({ kind: 'duplicate', name, version: version.version }, version);
        break;
      case 'reload-history':
        loadVersions(name);
        break;
      default:
        break;
    }
  });

  // ---- list actions ------------------------------------------------------------------------

  els.list.addEventListener('click', async (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-action]');
    if (!button) return;
    const name = button.dataset.name ?? '';
    const replacesForm = ['new', 'edit', 'duplicate'].includes(button.dataset.action ?? '');
    if (replacesForm && !(await discardChanges())) return;
    switch (button.dataset.action) {
      case 'new':
        openEditor({ kind: 'new' });
        break;
      case 'edit':
        editByName(name);
        break;
      case 'duplicate': {
        const item = byName(name);
        if (item) openEditor({ kind: 'duplicate', name, version: item.version }, item);
        break;
      }
      case 'delete':
        await deleteConfiguration(name, button);
        break;
      case 'reload':
        els.serverError.hidden = true;
        loadList();
        break;
      default:
        break;
    }
  });

  /** The configuration new jobs start from (Settings), or null when unknown. */
  async function defaultConfiguration() {
    try {
      return (await settingsApi.preferences())?.defaults?.configuration ?? null;
    } catch {
      return null; // the dialog just does not mention it
    }
  }

  async function deleteConfiguration(name, button) {
    const item = byName(name);
    setText(els.deleteTitle, CONFIG_COPY.deleteTitle(name));
    els.deleteUsed.hidden = !item?.jobs;
    setText(els.deleteUsed, item?.jobs ? CONFIG_COPY.deleteUsed(item.jobs) : '');
    const isDefault = (await defaultConfiguration()) === name;
    els.deleteDefault.hidden = !isDefault;
    setText(els.deleteDefault, isDefault ? CONFIG_COPY.deleteDefault : '');
    const yes = await confirmDialog(els.dialog, { confirm: $(S.deleteConfirm), keep: $(S.deleteKeep) });
    if (!yes) return;
    hideListError();
    let gone = false;
    try {
      await configurationsApi.remove(name);
    } catch (error) {
      // Deleted in another tab meanwhile: what was wanted has happened.
      gone = error?.kind === 'not_found';
      if (!gone) {
        serverDown(error);
        setText(els.listStatus, CONFIG_COPY.deleteRefused(name));
        // Used by jobs: the way forward is those jobs, on the Jobs page filtered by it.
        replaceChildren(els.listErrorText, failureText(error),
          ...(error?.kind === 'conflict' ? [' ', h('a', { href: jobsUsingUrl(name), text: CONFIG_COPY.jobsUsingAny })] : []));
        els.listError.hidden = false;
        // Keep the list shown: only refresh it when the server is there to answer.
        if (!isDown(error) && !error?.serverFault) await loadList();
        els.listError.focus();
        return;
      }
    }
    const row = button.closest('tr');
    const next = /** @type {HTMLElement | null} */ (row?.nextElementSibling ?? row?.previousElementSibling ?? null);
    const nextName = next?.dataset.name ?? null;
    if (editor && editor.kind !== 'new' && editor.name === name) {
      editor = null;
      els.workspace.hidden = true;
    }
    toast(gone ? CONFIG_COPY.deleteGone(name) : CONFIG_COPY.deleted(name), { tone: 'success' });
    await loadList();
    const focusTarget = nextName
      ? els.list.querySelector(`button[data-action="edit"][data-name="${CSS.escape(nextName)}"]`)
      : null;
    /** @type {HTMLElement} */ (focusTarget ?? els.list.querySelector('button') ?? els.newButton).focus();
  }

  // ---- start -----------------------------------------------------------------------------

  els.newButton.addEventListener('click', async () => {
    if (await discardChanges()) openEditor({ kind: 'new' });
  });
  els.serverRetry.addEventListener('click', async () => {
    els.serverError.hidden = true;
    const [listed] = await Promise.all([fetchList(), loadProviders()]);
    showList(listed);
  });

  async function start() {
    const [listed] = await Promise.all([fetchList(), loadProviders()]);
    showList(listed);
    document.body.dataset.ready = 'true';
    const wanted = params.get('edit');
    if (wanted && byName(wanted)) editByName(wanted);
    else if (wanted && !listed) await editById(wanted);
  }

  /** `?edit=` that names no configuration may be a version id: open its name with it. */
  async function editById(id) {
    let version = null;
    try {
      version = await configurationsApi.get(id);
    } catch (error) {
      serverDown(error);
    }
    const item = version ? byName(version.name) : null;
    if (version && item) {
      openEditor({ kind: 'edit', name: item.name, inForm: version.version, base: item.version }, version);
      return;
    }
    setText(els.listStatus, VERSION_ID.test(id) ? CONFIG_COPY.editMissingId(id) : CONFIG_COPY.editMissing(id));
    setText(els.listErrorText, '');
    els.listError.hidden = false;
    els.listError.focus();
  }

  start();
}

main();
