// The admin console's Policy page: the Fido2 and TemporaryAccessPass configurations as forms, a review of the change (diff and what-if), PATCH, and the server's problems shown next to their fields.
// @ts-check

import { $, $$, adminApi, api, clear, errorOf, errorView, fill, formatTime, groupNames, h, may, me, template } from './kw.js';
import { OPTIONAL, absent, genericView, notAvailable } from './admin-answers.js';

const form = /** @type {HTMLFormElement} */ ($('#policy-form'));
const problemsBox = $('#policy-problems');
const savedBox = $('#policy-saved');
const review = $('#review');
let loaded = null;
let groups = new Map();
let editable = false;

function configOf(document, id) {
  return (document.authenticationMethodConfigurations || []).find((c) => c.id === id) || {};
}

/* Rendering the forms from a policy document */

function groupOptions(select, selected) {
  const choices = [['all_users', 'All users'], ...[...groups.entries()].sort((a, b) => a[1].localeCompare(b[1]))];
  if (selected && !choices.some(([id]) => id === selected)) choices.push([selected, selected + ' (unknown group)']);
  fill(select, choices.map(([id, name]) => h('option', { value: id, text: name, selected: id === selected || undefined })));
}

/** The profiles as the form has them now (id and name), for the include targets' choices. */
function currentProfiles() {
  return $$('#fido2-profiles > fieldset').map((fs) => ({ id: field(fs, 'id').value.trim(), name: field(fs, 'name').value.trim() }))
    .filter((p) => p.id);
}

/**
 * A row's or a profile's control, named by its `data-field`: an input, a select or a textarea, all read and set
 * through `value` (and a check box through `checked`), hence the one type.
 * @param {ParentNode} root
 * @param {string} name
 * @returns {HTMLInputElement}
 */
function field(root, name) {
  return /** @type {HTMLInputElement} */ ($('[data-field="' + name + '"]', root));
}

/**
 * An include row's box of profile check boxes.
 * @param {ParentNode} row
 */
function profileChoices(row) {
  return $('[data-field="allowedPasskeyProfiles"]', row);
}

/**
 * The page's input or select with this selector (see `field`).
 * @param {string} selector
 * @returns {HTMLInputElement}
 */
function input(selector) {
  return /** @type {HTMLInputElement} */ ($(selector));
}

function profileBoxes(container, checked) {
  const profiles = currentProfiles();
  fill(container, profiles.map((p) => h('label', { class: 'inline' },
    h('input', { type: 'checkbox', value: p.id, checked: checked.includes(p.id) || undefined }), p.name || p.id)));
  if (!profiles.length) container.append(h('span', { class: 'muted small', text: 'No profile yet' }));
}

function refreshProfileChoices() {
  for (const row of $$('#fido2-includes > .row')) {
    const boxes = profileChoices(row);
    const checked = $$('input:checked', boxes).map((i) => /** @type {HTMLInputElement} */ (i).value);
    profileBoxes(boxes, checked);
  }
  const select = input('#fido2-default-profile');
  const current = select.value || (loaded && configOf(loaded, 'Fido2').defaultPasskeyProfile);
  fill(select, currentProfiles().map((p) => h('option', { value: p.id, text: p.name || p.id, selected: p.id === current || undefined })));
}

function includeRow(target, withProfiles) {
  const row = /** @type {HTMLElement} */ (template('tpl-include').firstElementChild);
  groupOptions(field(row, 'id'), target.id);
  field(row, 'isRegistrationRequired').checked = !!target.isRegistrationRequired;
  const profileChoice = $('.profile-choice', row);
  if (withProfiles) profileBoxes(profileChoices(row), target.allowedPasskeyProfiles || []);
  else profileChoice.remove();
  return row;
}

function excludeRow(target) {
  const row = /** @type {HTMLElement} */ (template('tpl-exclude').firstElementChild);
  field(row, 'targetType').value = target.targetType || 'group';
  field(row, 'id').value = target.id || '';
  return row;
}

function profileBlock(profile) {
  const block = /** @type {HTMLElement} */ (template('tpl-profile').firstElementChild);
  field(block, 'name').value = profile.name || '';
  field(block, 'id').value = profile.id || '';
  const types = (profile.passkeyTypes || '').split(',').map((t) => t.trim());
  for (const box of /** @type {HTMLInputElement[]} */ ($$('[data-type]', block))) box.checked = types.includes(box.dataset.type);
  field(block, 'attestationEnforcement').value = profile.attestationEnforcement || 'disabled';
  const restrictions = profile.keyRestrictions || {};
  field(block, 'keyRestrictions.isEnforced').checked = !!restrictions.isEnforced;
  field(block, 'keyRestrictions.enforcementType').value = restrictions.enforcementType || 'allow';
  field(block, 'keyRestrictions.aaGuids').value = (restrictions.aaGuids || []).join('\n');
  const groups = restrictions.authenticatorGroups || [];
  for (const box of /** @type {HTMLInputElement[]} */ ($$('[data-group]', block))) box.checked = groups.includes(box.dataset.group);
  field(block, 'isSha1TpmAttestationAllowed').checked = !!profile.isSha1TpmAttestationAllowed;
  $('.profile-legend', block).textContent = 'Profile: ' + (profile.name || 'new');
  field(block, 'name').addEventListener('input', (e) => {
    $('.profile-legend', block).textContent = 'Profile: ' + (/** @type {HTMLInputElement} */ (e.target).value || 'new');
    refreshProfileChoices();
  });
  field(block, 'id').addEventListener('change', refreshProfileChoices);
  return block;
}

/** Gives every row and control its JSON path (`Fido2.passkeyProfiles[1].name`), where the server's problems point. */
function renumber() {
  for (const list of $$('[data-path]', form)) {
    if (!['fido2-includes', 'fido2-excludes', 'fido2-profiles', 'tap-includes', 'tap-excludes'].includes(list.id)) continue;
    [.../** @type {HTMLCollectionOf<HTMLElement>} */ (list.children)].forEach((row, i) => {
      row.dataset.row = list.dataset.path + '[' + i + ']';
      for (const control of $$('[data-field]', row)) control.dataset.path = row.dataset.row + '.' + control.dataset.field;
    });
  }
}

function render(document) {
  const fido2 = configOf(document, 'Fido2');
  const tap = configOf(document, 'TemporaryAccessPass');
  input('#fido2-state').value = fido2.state || 'enabled';
  input('#fido2-window').value = fido2.registrationWindowInMinutes ?? '';
  input('#fido2-self-service').checked = !!fido2.isSelfServiceRegistrationAllowed;
  fill($('#fido2-profiles'), (fido2.passkeyProfiles || []).map(profileBlock));
  fill($('#fido2-includes'), (fido2.includeTargets || []).map((t) => includeRow(t, true)));
  fill($('#fido2-excludes'), (fido2.excludeTargets || []).map(excludeRow));
  refreshProfileChoices();
  input('#fido2-default-profile').value = fido2.defaultPasskeyProfile || '';
  input('#tap-state').value = tap.state || 'enabled';
  input('#tap-length').value = tap.defaultLength ?? '';
  input('#tap-once').checked = !!tap.isUsableOnce;
  input('#tap-default').value = tap.defaultLifetimeInMinutes ?? '';
  input('#tap-min').value = tap.minimumLifetimeInMinutes ?? '';
  input('#tap-max').value = tap.maximumLifetimeInMinutes ?? '';
  fill($('#tap-includes'), (tap.includeTargets || []).map((t) => includeRow(t, false)));
  fill($('#tap-excludes'), (tap.excludeTargets || []).map(excludeRow));
  renumber();
  fill($('#policy-version'), 'Version ' + document.policyVersion + ', last changed ' + formatTime(document.lastModifiedDateTime) + '.');
  if (!editable) {
    for (const fieldset of form.querySelectorAll('fieldset')) fieldset.disabled = true;
    for (const el of $$('[data-add], [data-action="remove-row"], [data-action="remove-profile"], .editable-only', form)) el.hidden = true;
  }
}

/* Reading the forms back into configurations */

/**
 * A number input's value: a number, null when empty, or the text itself so the server names the problem.
 * @param {HTMLInputElement} box
 */
function number(box) {
  const text = box.value.trim();
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

function collectFido2() {
  const original = configOf(loaded, 'Fido2');
  return {
    ...original,
    state: input('#fido2-state').value,
    registrationWindowInMinutes: number(input('#fido2-window')),
    isSelfServiceRegistrationAllowed: input('#fido2-self-service').checked,
    includeTargets: $$('#fido2-includes > .row').map((row) => ({
      targetType: 'group',
      id: field(row, 'id').value,
      isRegistrationRequired: field(row, 'isRegistrationRequired').checked,
      allowedPasskeyProfiles: $$('input:checked', profileChoices(row)).map((i) => /** @type {HTMLInputElement} */ (i).value),
    })),
    excludeTargets: $$('#fido2-excludes > .row').map(collectExclude),
    defaultPasskeyProfile: input('#fido2-default-profile').value,
    passkeyProfiles: $$('#fido2-profiles > fieldset').map((block) => ({
      id: field(block, 'id').value.trim(),
      name: field(block, 'name').value.trim(),
      passkeyTypes: $$('[data-type]:checked', block).map((b) => b.dataset.type).join(','),
      attestationEnforcement: field(block, 'attestationEnforcement').value,
      keyRestrictions: keyRestrictionsOf(block),
      isSha1TpmAttestationAllowed: field(block, 'isSha1TpmAttestationAllowed').checked,
    })),
  };
}

/** A profile's key restrictions; `authenticatorGroups` only when some are chosen, as the server shows them. */
function keyRestrictionsOf(block) {
  const restrictions = {
    isEnforced: field(block, 'keyRestrictions.isEnforced').checked,
    enforcementType: field(block, 'keyRestrictions.enforcementType').value,
    aaGuids: field(block, 'keyRestrictions.aaGuids').value.split(/\s+/).map((s) => s.trim()).filter(Boolean),
  };
  const groups = $$('[data-group]:checked', block).map((b) => b.dataset.group);
  if (groups.length) restrictions.authenticatorGroups = groups;
  return restrictions;
}

function collectExclude(row) {
  return { targetType: field(row, 'targetType').value, id: field(row, 'id').value.trim() };
}

function collectTap() {
  const original = configOf(loaded, 'TemporaryAccessPass');
  return {
    ...original,
    state: input('#tap-state').value,
    defaultLength: number(input('#tap-length')),
    isUsableOnce: input('#tap-once').checked,
    defaultLifetimeInMinutes: number(input('#tap-default')),
    minimumLifetimeInMinutes: number(input('#tap-min')),
    maximumLifetimeInMinutes: number(input('#tap-max')),
    includeTargets: $$('#tap-includes > .row').map((row) => ({ targetType: 'group', id: field(row, 'id').value, isRegistrationRequired: field(row, 'isRegistrationRequired').checked })),
    excludeTargets: $$('#tap-excludes > .row').map(collectExclude),
  };
}

/** JSON with object keys in order, so that two equal values always read the same. */
function canonical(value) {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
  }
  return JSON.stringify(value ?? null);
}

/** Every leaf that differs between two values, with its JSON path (`passkeyProfiles[1].name`). */
function leafChanges(before, after, path, out) {
  const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      leafChanges(before[key], after[key], path ? path + '.' + key : key, out);
    }
  } else if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, i) => leafChanges(item, after[i], path + '[' + i + ']', out));
  } else if (canonical(before) !== canonical(after)) {
    out.push({ path, before: canonical(before), after: canonical(after) });
  }
  return out;
}

/** What the form changes, per configuration: each changed leaf, and the configuration to send. */
function changes() {
  const out = [];
  for (const [id, next] of [['Fido2', collectFido2()], ['TemporaryAccessPass', collectTap()]]) {
    for (const change of leafChanges(configOf(loaded, id), next, '', [])) out.push({ id, ...change, config: next });
  }
  return out;
}

/* Problems next to their fields */

function clearProblems() {
  clear(problemsBox);
  for (const el of $$('.field-error', form)) clear(el);
  for (const el of $$('[aria-invalid]', form)) el.removeAttribute('aria-invalid');
}

/**
 * The element a JSON path points at, or the nearest enclosing one (`…aaGuids[2]` → the AAGUID list).
 * @param {string} path
 * @returns {HTMLElement | null}
 */
function target(path) {
  let current = path;
  while (current) {
    /** @type {HTMLElement | null} */
    const el = form.querySelector('[data-path="' + CSS.escape(current) + '"]');
    if (el) return el;
    const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
    if (cut <= 0) break;
    current = current.slice(0, cut);
  }
  return null;
}

/**
 * Where a problem with `el` is written: the `.field-error` after it or after its nearest enclosing element.
 * @param {HTMLElement} el
 * @returns {Element | null}
 */
function errorSlot(el) {
  for (let node = /** @type {HTMLElement | null} */ (el); node && node !== form; node = node.parentElement) {
    const next = node.nextElementSibling;
    if (next && next.classList.contains('field-error')) return next;
    const own = node.parentElement && node.parentElement.querySelector(':scope > .field-error');
    if (own) return own;
  }
  return null;
}

let errorCount = 0;

/**
 * The server's problems with the policy, each next to its field and all of them in a list.
 * @param {{ path?: string, message: string }[]} problems
 */
function showProblems(problems) {
  clearProblems();
  const items = [];
  /** @type {HTMLElement | null} */
  let first = null;
  for (const problem of problems) {
    const el = target(problem.path || '');
    const slot = el && errorSlot(el);
    if (el && slot) {
      if (!slot.id) slot.id = 'problem-' + (++errorCount);
      slot.append(h('span', { text: problem.message }), ' ');
      if (el.matches('input, select, textarea')) {
        el.setAttribute('aria-invalid', 'true');
        el.setAttribute('aria-describedby', slot.id);
      }
      first = first || el;
    }
    items.push(h('li', {}, h('code', { text: problem.path || 'policy' }), ': ' + problem.message));
  }
  problemsBox.className = 'notice bad';
  fill(problemsBox, h('p', {}, h('strong', { text: 'The policy was not saved: ' + problems.length + ' problem(s), shown next to their fields.' })), h('ul', {}, items));
  /** @type {HTMLElement | null} */
  const focusable = first && (first.matches('input, select, textarea') ? first : first.querySelector('input, select, textarea'));
  (focusable || problemsBox).focus();
}

/* Review, what-if, save */

/** The what-if answer in sentences: what would stop working, who would lose or gain registration, and why. */
function whatIfView(body) {
  const s = body.summary;
  const list = (title, items, line) => (items && items.length
    ? h('div', {}, h('h4', { text: title }), h('ul', {}, items.map((item) => h('li', { class: 'break', text: line(item) }))))
    : null);
  const more = (listed, count) => (count > listed.length ? h('p', { class: 'muted', text: 'and ' + (count - listed.length) + ' more' }) : null);
  return h('div', {},
    h('p', { text: s.credentialsStopWorking + ' passkey(s) of ' + s.usersLosingCredentials + ' user(s) would stop working at sign-in ('
      + s.usersLeftWithoutPasskey + ' left with none); ' + s.usersLoseRegistration + ' user(s) would lose the ability to register, '
      + s.usersGainRegistration + ' would gain it. Judged over ' + s.users + ' user(s) and ' + s.passkeys + ' passkey(s).' }),
    list('Passkeys that would stop working', body.credentialsStopWorking,
      (c) => c.user.userPrincipalName + ': ' + c.passkey.displayName + ' (' + (c.passkey.model || c.passkey.aaguid) + '): ' + c.reason + ' [' + c.code + ']'),
    more(body.credentialsStopWorking || [], s.credentialsStopWorking),
    list('Users who could no longer register', body.usersLoseRegistration, (r) => r.user.userPrincipalName + ': ' + r.reason + ' [' + r.code + ']'),
    more(body.usersLoseRegistration || [], s.usersLoseRegistration),
    list('Users newly able to register', body.usersGainRegistration, (r) => r.user.userPrincipalName),
    more(body.usersGainRegistration || [], s.usersGainRegistration),
    (body.notes || []).map((note) => h('p', { class: 'muted', text: note })));
}

async function showReview() {
  clear(savedBox);
  clearProblems();
  const list = changes();
  if (!list.length) {
    savedBox.className = 'notice';
    fill(savedBox, 'Nothing changed.');
    return;
  }
  fill($('#review-diff'), list.map((c) => h('li', {},
    h('code', { text: c.id + '.' + c.path }), h('br'),
    h('span', { class: 'old', text: c.before }), ' → ', h('span', { class: 'new', text: c.after }))));
  form.hidden = true;
  review.hidden = false;
  review.focus();
  const whatIf = $('#review-whatif');
  fill(whatIf, 'Checking…');
  const configurations = {};
  for (const c of list) configurations[c.id] = c.config;
  const answer = await api('POST', OPTIONAL.whatIf, { authenticationMethodConfigurations: Object.values(configurations) });
  if (answer.ok) fill(whatIf, answer.body && answer.body.summary ? whatIfView(answer.body) : genericView(answer.body));
  else if (absent(answer)) fill(whatIf, notAvailable('A preview of the change\'s effect on existing users and passkeys'), h('p', { class: 'muted', text: 'Check the changes above before you save.' }));
  else fill(whatIf, h('div', { class: 'notice bad' }, errorView(errorOf(answer))));
}

async function save() {
  const list = changes();
  const ids = [...new Set(list.map((c) => c.id))];
  for (const id of ids) {
    const config = list.find((c) => c.id === id).config;
    const answer = await adminApi('PATCH', '/v1/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/' + id, config);
    if (answer.status !== 204) {
      review.hidden = true;
      form.hidden = false;
      const error = errorOf(answer);
      if (error.details && Array.isArray(error.details.problems)) showProblems(error.details.problems);
      else {
        problemsBox.className = 'notice bad';
        fill(problemsBox, errorView(error));
        problemsBox.focus();
      }
      return;
    }
  }
  await load();
  review.hidden = true;
  form.hidden = false;
  savedBox.className = 'notice ok';
  fill(savedBox, 'Policy saved as version ' + loaded.policyVersion + '. The change and its diff are in the audit log.');
  savedBox.focus();
}

async function load() {
  const answer = await api('GET', '/v1/policies/authenticationMethodsPolicy');
  if (!answer.ok) {
    problemsBox.className = 'notice bad';
    fill(problemsBox, errorView(errorOf(answer)));
    return false;
  }
  loaded = answer.body;
  render(loaded);
  return true;
}

form.addEventListener('click', (event) => {
  const clicked = /** @type {Element} */ (event.target);
  /** @type {HTMLElement | null} */
  const add = clicked.closest('[data-add]');
  if (add) {
    const kind = add.dataset.add;
    /** @type {HTMLElement | undefined} */
    let created;
    if (kind === 'fido2-include') created = $('#fido2-includes').appendChild(includeRow({ id: 'all_users' }, true));
    if (kind === 'tap-include') created = $('#tap-includes').appendChild(includeRow({ id: 'all_users' }, false));
    if (kind === 'fido2-exclude') created = $('#fido2-excludes').appendChild(excludeRow({}));
    if (kind === 'tap-exclude') created = $('#tap-excludes').appendChild(excludeRow({}));
    if (kind === 'fido2-profile') {
      created = $('#fido2-profiles').appendChild(profileBlock({ id: crypto.randomUUID(), name: '', passkeyTypes: 'deviceBound,synced', attestationEnforcement: 'disabled', keyRestrictions: { isEnforced: false, enforcementType: 'allow', aaGuids: [] } }));
      refreshProfileChoices();
    }
    renumber();
    const first = created && /** @type {HTMLElement | null} */ (created.querySelector('input, select'));
    if (first) first.focus();
    return;
  }
  const remove = clicked.closest('[data-action="remove-row"], [data-action="remove-profile"]');
  if (remove) {
    remove.closest('.row, fieldset.profile')?.remove();
    refreshProfileChoices();
    renumber();
  }
  if (clicked.closest('[data-action="discard"]')) {
    render(loaded);
    clearProblems();
  }
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  showReview();
});

review.addEventListener('click', (event) => {
  const clicked = /** @type {Element} */ (event.target);
  if (clicked.closest('[data-action="save"]')) save();
  if (clicked.closest('[data-action="back"]')) {
    review.hidden = true;
    form.hidden = false;
    $('input, select', form).focus();
  }
});

const viewer = await me();
editable = may(viewer, 'managePolicy');
$('#policy-readonly').hidden = editable;
groups = await groupNames();
fill($('#group-ids'), [...groups.entries()].map(([id, name]) => h('option', { value: id, text: name })));
if (await load()) form.hidden = false;
