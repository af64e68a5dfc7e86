// Shared by every keywarden page: the /v1 API client (session cookie + CSRF header), a safe DOM builder, WebAuthn JSON helpers, formatting, and the in-place "verify again" panel.
// @ts-check

/**
 * A value as the API sends it. Its shape is the API's (openapi.json, the Rust types) and is not restated here, so
 * the checker takes it as it comes.
 * @typedef {any} Json
 */

/**
 * An API answer: never an exception for an HTTP error. `stage` marks where a multi-step call stopped.
 * @typedef {{ ok: boolean, status: number, body: Json, stage?: string }} Answer
 */

/**
 * The error object of an API answer (`code` is the stable snake_case code; `question` the registration question).
 * @typedef {{ message: string, code?: string, fix?: string, question?: number, details?: Json, attemptId?: string }} ApiError
 */

/**
 * What `h` and `fill` take as content: nodes, text (inserted as text, never as HTML), and lists of them at any depth;
 * `null`, `undefined` and `false` are left out. (A list is written as an indexed type because a type alias may not
 * name itself in an array.)
 * @typedef {Node | string | number | boolean | null | undefined | { readonly [index: number]: Child, readonly length: number }} Child
 */

/**
 * The properties `h` understands; anything else becomes an attribute (left out when `null`, `undefined` or `false`).
 * @typedef {{ class?: string | null, text?: string | number | null, hidden?: boolean, on?: Record<string, (event: Event) => unknown>, data?: Record<string, string> } & Record<string, unknown>} Props
 */

/** The session's CSRF token, learnt from /v1/me or a sign-in answer; sent on every state-changing request. */
/** @type {string | null} */
let csrfToken = null;
/** Server time minus browser time, in milliseconds, from the Date header of API answers. */
let clockSkew = 0;

/** @param {string | null | undefined} token */
export function setCsrf(token) {
  if (token) csrfToken = token;
}

/**
 * Calls the API. Resolves to { ok, status, body } and never throws for an HTTP error.
 * @param {'GET' | 'POST' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON when given
 * @returns {Promise<Answer>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, status: 0, body: { error: { code: 'network_error', message: 'keywarden could not be reached: ' + (e instanceof Error ? e.message : String(e)), fix: 'Check your connection and retry.' } } };
  }
  const date = response.headers.get('date');
  if (date) {
    const server = Date.parse(date);
    if (!Number.isNaN(server)) clockSkew = server - Date.now();
  }
  const text = await response.text();
  let parsed = null;
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = { error: { code: 'unexpected_answer', message: text.slice(0, 200), fix: 'Retry.' } }; }
  }
  if (parsed && typeof parsed.csrfToken === 'string') setCsrf(parsed.csrfToken);
  return { ok: response.ok, status: response.status, body: parsed };
}

/**
 * The error object of an API answer ({ code, message, fix, question, details, attemptId }).
 * @param {Answer} answer
 * @returns {ApiError}
 */
export function errorOf(answer) {
  return (answer.body && answer.body.error) || { code: 'http_' + answer.status, message: 'The request failed with HTTP status ' + answer.status + '.', fix: 'Retry.' };
}

/** Sends the visitor to sign-in when the session is gone, keeping the page to come back to. */
export function toSignIn() {
  const next = location.pathname + location.search;
  location.assign('/security-info/signin?next=' + encodeURIComponent(next));
}

/**
 * The signed-in user (/v1/me); learns the CSRF token. Sends the visitor to sign-in when there is no session.
 * @returns {Promise<Json>}
 */
export async function me() {
  const answer = await api('GET', '/v1/me');
  if (answer.status === 401) {
    toSignIn();
    return new Promise(() => {});
  }
  if (!answer.ok) throw new Error(errorOf(answer).message);
  return answer.body;
}

/** Now, by the server's clock. */
export function serverNow() {
  return new Date(Date.now() + clockSkew);
}

/**
 * Builds an element. `props`: `class`, `text`, `hidden`, `on` ({ event: handler }), `data` ({ key: value }),
 * anything else becomes an attribute. Children are nodes or strings (always inserted as text, never as HTML), or
 * arrays of them at any depth.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {Child[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'on') for (const [event, handler] of Object.entries(/** @type {Record<string, EventListener>} */ (value))) el.addEventListener(event, handler);
    else if (key === 'data') for (const [k, v] of Object.entries(/** @type {Record<string, string>} */ (value))) el.dataset[k] = v;
    else if (key === 'hidden') el.hidden = true;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element | DocumentFragment} el
 * @param {Child[]} children
 */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's content.
 * @template {Element | DocumentFragment} E
 * @param {E} el
 * @param {Child[]} children
 * @returns {E}
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldCount = 0;

/**
 * A copy of a `<template>`'s content, with every label tied to the control that follows it.
 * @param {string} id
 * @returns {DocumentFragment}
 */
export function template(id) {
  const source = /** @type {HTMLTemplateElement} */ (byId(id));
  const fragment = /** @type {DocumentFragment} */ (source.content.cloneNode(true));
  for (const label of fragment.querySelectorAll('label')) {
    /** @type {HTMLElement | null} */
    const control = label.querySelector('input, select, textarea') || labelTarget(label);
    if (!control) continue;
    if (!control.id) control.id = 'f' + (++fieldCount);
    if (!label.contains(control)) label.htmlFor = control.id;
  }
  return fragment;
}

/**
 * @param {HTMLLabelElement} label
 * @returns {HTMLElement | null}
 */
function labelTarget(label) {
  const next = label.nextElementSibling;
  return next && next.matches('input, select, textarea') ? /** @type {HTMLElement} */ (next) : null;
}

/**
 * The first element under `root` that matches `selector`. A page asks only for what its shell or its own code always
 * creates, so a missing element is a bug in the page, said by name here rather than as a null dereference later; code
 * that expects an element to be missing at times calls `querySelector` itself.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement}
 */
export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error('the page has no element ' + selector);
  return /** @type {HTMLElement} */ (el);
}

/**
 * Every element under `root` that matches `selector`.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {HTMLElement[]}
 */
export function $$(selector, root = document) {
  return [.../** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector))];
}

/**
 * The element with this id, which the page's shell has (see `$`).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error('the page has no element #' + id);
  return el;
}

/**
 * A form's control by name: an input, a select or a textarea (they share `value`; `checked` is an input's).
 * @param {HTMLFormElement} form
 * @param {string} name
 * @returns {HTMLInputElement}
 */
export function control(form, name) {
  const el = form.elements.namedItem(name);
  if (!el) throw new Error('the form has no control ' + name);
  return /** @type {HTMLInputElement} */ (el);
}

/**
 * Shows an API error: what happened, what to do, and references for the help desk.
 * @param {ApiError} error
 * @param {{ title?: string }} [extra]
 */
export function errorView(error, extra = {}) {
  const parts = [h('p', {}, h('strong', { text: extra.title || error.message }))];
  if (extra.title && error.message) parts.push(h('p', { text: error.message }));
  if (error.fix) parts.push(h('p', {}, h('strong', { text: 'What to do: ' }), error.fix));
  const refs = [];
  if (error.code) refs.push('code ' + error.code);
  if (error.question) refs.push('question ' + error.question);
  if (error.attemptId) refs.push('attempt ' + error.attemptId);
  if (refs.length) parts.push(h('p', { class: 'reference', text: 'Reference for your help desk: ' + refs.join(', ') }));
  return parts;
}

/**
 * @param {HTMLElement} el
 * @param {ApiError} error
 * @param {{ title?: string }} [extra]
 */
export function showError(el, error, extra) {
  el.className = 'notice bad';
  fill(el, errorView(error, extra));
}

/** @param {Element} el */
export function clear(el) {
  fill(el);
}

/* Formatting */

/**
 * A time from the API: every time it answers is an RFC 3339 string (the server writes them all one way).
 * @param {string | number} value
 */
export function toDate(value) {
  return new Date(value);
}

/** @param {string | number | null | undefined} value */
export function formatTime(value) {
  if (!value) return '—';
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * "in 42 minutes", "3 minutes ago", against the server's clock.
 * @param {string | number | null | undefined} value
 */
export function relative(value) {
  if (!value) return '';
  const ms = toDate(value).getTime() - serverNow().getTime();
  const minutes = Math.round(Math.abs(ms) / 60000);
  let span;
  if (minutes < 1) span = 'less than a minute';
  else if (minutes < 90) span = minutes + (minutes === 1 ? ' minute' : ' minutes');
  else if (minutes < 48 * 60) span = Math.round(minutes / 60) + ' hours';
  else span = Math.round(minutes / 1440) + ' days';
  return ms >= 0 ? 'in ' + span : span + ' ago';
}

/**
 * When a Temporary Access Pass (Graph JSON) stops working: its start plus its lifetime, as an ISO string.
 * @param {{ startDateTime: string, lifetimeInMinutes: number }} pass
 */
export function passExpiry(pass) {
  return new Date(toDate(pass.startDateTime).getTime() + pass.lifetimeInMinutes * 60000).toISOString();
}

/**
 * The directory's groups by id, for showing names next to ids (empty when the caller may not read them).
 * @returns {Promise<Map<string, string>>}
 */
export async function groupNames() {
  const answer = await api('GET', '/v1/groups');
  /** @type {Map<string, string>} */
  const names = new Map();
  if (answer.ok) for (const g of answer.body.value || []) names.set(g.id, g.displayName);
  return names;
}

/** @type {Record<string, string>} */
export const METHOD_NAMES = {
  password: 'password',
  softwareOath: 'authenticator app code',
  temporaryAccessPass: 'Temporary Access Pass',
  fido2: 'passkey',
};

/** @param {string | null | undefined} type */
export function passkeyTypeLabel(type) {
  return type === 'synced' ? 'Synced' : type === 'deviceBound' ? 'Device-bound' : type || 'Unknown type';
}

/* Roles: which actions to offer. The API decides and says what the caller may do (`permissions` in /v1/me, and
   `allowedActions` on a user); the pages only hide what it would refuse. */

/**
 * Whether the signed-in `viewer` (/v1/me) may take `action` (an access action such as `managePolicy`) on someone.
 * @param {{ permissions?: string[] }} viewer
 * @param {string} action
 */
export function may(viewer, action) {
  return (viewer.permissions || []).includes(action);
}

/**
 * Whether the caller may take `action` on `target` (a user as `GET /v1/users/{user}` returns it).
 * @param {{ allowedActions?: string[] }} target
 * @param {string} action
 */
export function mayOn(target, action) {
  return (target.allowedActions || []).includes(action);
}

/* WebAuthn: JSON options in, JSON credentials out. Uses the browser's own conversions where it has them. */

/** @param {string} text */
function b64urlToBuffer(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/** @param {ArrayBuffer} buffer */
function bufferToB64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {{ id: string }[] | undefined} list */
function descriptors(list) {
  return (list || []).map((d) => ({ ...d, id: b64urlToBuffer(d.id) }));
}

/**
 * @param {Json} json PublicKeyCredentialCreationOptionsJSON
 * @returns {PublicKeyCredentialCreationOptions}
 */
function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: b64urlToBuffer(json.challenge),
    user: { ...json.user, id: b64urlToBuffer(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

/**
 * @param {Json} json PublicKeyCredentialRequestOptionsJSON
 * @returns {PublicKeyCredentialRequestOptions}
 */
function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: b64urlToBuffer(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

/**
 * @param {Credential | null} found what navigator.credentials answered: a PublicKeyCredential, as it was asked for one
 * @returns {Json} RegistrationResponseJSON or AuthenticationResponseJSON
 */
function credentialJson(found) {
  const credential = /** @type {PublicKeyCredential} */ (found);
  if (typeof credential.toJSON === 'function') return credential.toJSON();
  const response = credential.response;
  /** @type {{ response: Record<string, string | string[]> } & Record<string, unknown>} */
  const json = {
    id: credential.id,
    rawId: bufferToB64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    response: { clientDataJSON: bufferToB64url(response.clientDataJSON) },
  };
  const attestation = /** @type {AuthenticatorAttestationResponse} */ (response);
  if (attestation.attestationObject) {
    json.response.attestationObject = bufferToB64url(attestation.attestationObject);
    json.response.transports = attestation.getTransports ? attestation.getTransports() : [];
  } else {
    const assertion = /** @type {AuthenticatorAssertionResponse} */ (response);
    json.response.authenticatorData = bufferToB64url(assertion.authenticatorData);
    json.response.signature = bufferToB64url(assertion.signature);
    if (assertion.userHandle) json.response.userHandle = bufferToB64url(assertion.userHandle);
  }
  return json;
}

/**
 * navigator.credentials.create() with PublicKeyCredentialCreationOptionsJSON; resolves to RegistrationResponseJSON.
 * @param {Json} publicKeyJson
 * @param {AbortSignal} [signal]
 */
export async function createCredential(publicKeyJson, signal) {
  if (!window.PublicKeyCredential) throw Object.assign(new Error('This browser does not support passkeys.'), { name: 'NotSupportedError' });
  const credential = await navigator.credentials.create({ publicKey: creationOptions(publicKeyJson), signal });
  return credentialJson(credential);
}

/**
 * navigator.credentials.get() with PublicKeyCredentialRequestOptionsJSON; resolves to AuthenticationResponseJSON.
 * @param {Json} publicKeyJson
 * @param {AbortSignal} [signal]
 * @param {CredentialMediationRequirement} [mediation]
 */
export async function getCredential(publicKeyJson, signal, mediation) {
  if (!window.PublicKeyCredential) throw Object.assign(new Error('This browser does not support passkeys.'), { name: 'NotSupportedError' });
  /** @type {CredentialRequestOptions} */
  const request = { publicKey: requestOptions(publicKeyJson), signal };
  if (mediation) request.mediation = mediation;
  const credential = await navigator.credentials.get(request);
  return credentialJson(credential);
}

/**
 * What the browser says it can do: getClientCapabilities() and the platform-authenticator check.
 * @typedef {{ clientCapabilities: Record<string, boolean>, userVerifyingPlatformAuthenticatorAvailable: boolean | undefined }} Capabilities
 * @returns {Promise<Capabilities>}
 */
export async function clientCapabilities() {
  /** @type {Capabilities} */
  const report = { clientCapabilities: {}, userVerifyingPlatformAuthenticatorAvailable: undefined };
  if (!window.PublicKeyCredential) return report;
  try {
    if (PublicKeyCredential.getClientCapabilities) {
      const capabilities = await PublicKeyCredential.getClientCapabilities();
      for (const [key, value] of Object.entries(capabilities || {})) {
        if (typeof value === 'boolean') report.clientCapabilities[key] = value;
      }
    }
  } catch { /* An older browser: no capabilities to report. */ }
  try {
    report.userVerifyingPlatformAuthenticatorAvailable = await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();
  } catch { /* Unknown. */ }
  return report;
}

/**
 * Signs in with a passkey (begin, the browser's prompt, finish) and resolves to the API answer; a refused begin is
 * marked `stage: 'begin'`. The browser offers the user's discoverable passkeys (a signed-in user verifying again is
 * offered their own only). `mediation: 'conditional'` waits for the
 * user to pick a passkey among the user name field's suggestions instead of opening a dialog; `signal` cancels it.
 * @param {{ signal?: AbortSignal, mediation?: CredentialMediationRequirement }} [options]
 * @returns {Promise<Answer>}
 */
export async function passkeySignIn({ signal, mediation } = {}) {
  const begun = await api('POST', '/v1/signin/passkey/begin', {});
  if (!begun.ok) return { ...begun, stage: 'begin' };
  let credential;
  try {
    credential = await getCredential(begun.body.publicKey, signal, mediation);
  } catch (exception) {
    const e = /** @type {Error} */ (exception);
    return { ok: false, status: 0, body: { error: { code: 'ceremony_' + e.name, message: passkeyGetMessage(e), fix: 'Try again, or use another way to sign in.' } } };
  }
  return api('POST', '/v1/signin/passkey/finish', { challengeId: begun.body.challengeId, credential });
}

/** @param {Error} e */
function passkeyGetMessage(e) {
  if (e.name === 'NotAllowedError') return 'The passkey prompt was cancelled or timed out, or no passkey for this site was found.';
  if (e.name === 'SecurityError') return 'The browser refused to use a passkey on this site address.';
  return 'The passkey could not be used (' + e.name + ').';
}

/* Verify again, in place: question 2 of a registration, or before deleting a passkey. */

/**
 * Why the panel asks, per refusal code, from the refusal's `verification` details.
 * @type {Record<string, (verification: Json) => string>}
 */
const VERIFY_WHY = {
  reauthentication_required: (v) =>
    'You last verified ' + (v.lastStrongAuthentication ? relative(v.lastStrongAuthentication) : 'a while ago') +
    '. Adding or removing a passkey needs a verification within the last ' + (v.windowMinutes === 1 ? 'minute.' : v.windowMinutes + ' minutes.'),
  no_usable_mfa_method: () =>
    'You have no method to verify with yet. Ask your help desk for a Temporary Access Pass and enter it here.',
  access_pass_already_used: () =>
    'The one-time Temporary Access Pass you signed in with has been used. Verify with the passkey you added, or ask your help desk for a new pass.',
  recent_authentication_required: (v) =>
    'You last verified ' + (v.lastStrongAuthentication ? relative(v.lastStrongAuthentication) : 'a while ago') +
    '. This administrative action needs a verification within the last ' + (v.windowMinutes === 1 ? 'minute.' : v.windowMinutes + ' minutes.'),
  strong_authentication_required: () =>
    'You signed in with a password only. Administration needs a second step: your authenticator app, a passkey or a Temporary Access Pass.',
};

/**
 * Calls the API for an administrative action; when the action needs a fresher verification
 * (`recent_authentication_required`), asks for it in place, above the page's content, and retries once verified.
 * @param {'GET' | 'POST' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<Answer>}
 */
export async function adminApi(method, path, body) {
  const answer = await api(method, path, body);
  if (answer.ok || errorOf(answer).code !== 'recent_authentication_required') return answer;
  const error = errorOf(answer);
  const user = await me();
  error.details = error.details || {};
  error.details.verification = { ...(error.details.verification || {}), usableMethods: user.usableStrongMethods || [] };
  const host = h('div', { class: 'reverify-host' });
  byId('main').prepend(host);
  host.scrollIntoView({ block: 'start' });
  await reverify(host, error, user);
  host.remove();
  return api(method, path, body);
}

/**
 * Renders the "verify again" panel into `container` for a question-2 refusal and resolves once the session has
 * verified again (TOTP code, passkey or Temporary Access Pass). `user` is /v1/me.
 * @param {HTMLElement} container
 * @param {ApiError} error
 * @param {Json} user
 * @returns {Promise<Json>} the answer that verified the session
 */
export function reverify(container, error, user) {
  const verification = (error.details && error.details.verification) || {};
  const usable = new Set(verification.usableMethods || []);
  if (error.code === 'access_pass_already_used') usable.delete('temporaryAccessPass');
  const panel = template('tpl-reverify');
  const root = /** @type {HTMLElement} */ (panel.firstElementChild);
  const why = error.code === undefined ? undefined : VERIFY_WHY[error.code];
  $('.reverify-why', root).textContent = why ? why(verification) : error.message;
  const errorBox = $('.reverify-error', root);
  fill(container, root);
  return new Promise((resolve) => {
    /** @param {Answer} answer */
    const done = (answer) => {
      if (answer.ok) {
        resolve(answer.body);
        return;
      }
      showError(errorBox, errorOf(answer));
    };
    if (usable.has('softwareOath')) {
      const form = /** @type {HTMLFormElement} */ ($('.reverify-totp', root));
      form.hidden = false;
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        clear(errorBox);
        done(await api('POST', '/v1/signin/totp', { code: control(form, 'code').value.trim() }));
      });
    }
    if (usable.has('fido2')) {
      const box = $('.reverify-passkey', root);
      box.hidden = false;
      $('button', box).addEventListener('click', async () => {
        clear(errorBox);
        done(await passkeySignIn());
      });
    }
    if (usable.has('temporaryAccessPass') || usable.size === 0) {
      const form = /** @type {HTMLFormElement} */ ($('.reverify-tap', root));
      form.hidden = false;
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        clear(errorBox);
        done(await api('POST', '/v1/signin/tap', { username: user.userPrincipalName, code: control(form, 'code').value.trim() }));
      });
    }
    /** @type {HTMLElement | null} */
    const first = root.querySelector('form:not([hidden]) input, .reverify-passkey:not([hidden]) button');
    if (first) first.focus();
  });
}

/**
 * Downloads text as a file.
 * @param {string} name
 * @param {string} type
 * @param {string} text
 */
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * A CSV cell as a spreadsheet will read it: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
 * is prefixed with `'` so that it stays text and never runs as a formula (OWASP, CSV injection), the same rule as the
 * server's exports.
 * @param {unknown} value
 */
export function csvCell(value) {
  let text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

/**
 * Rows of objects as CSV (RFC 4180 quoting, formulas neutralised); nested values are written as JSON.
 * @param {Record<string, unknown>[]} rows
 * @param {string[]} columns
 */
export function toCsv(rows, columns) {
  const cell = csvCell;
  return [columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\r\n') + '\r\n';
}

/* Every page: the sign-out button. */
for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-action="sign-out"]'))) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    if (!csrfToken) {
      const answer = await api('GET', '/v1/me');
      if (answer.ok) setCsrf(answer.body.csrfToken);
    }
    await api('POST', '/v1/signout');
    location.assign('/security-info/signin');
  });
}
