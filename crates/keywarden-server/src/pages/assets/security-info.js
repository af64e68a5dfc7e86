// Security info: the user's sign-in methods (rename, delete), "Add a passkey" (questions 1 and 2 answered in place, the platform path, the ceremony, the server's verdict) and authenticator-app set-up.
// @ts-check

import {
  $, api, clear, clientCapabilities, control, createCredential, errorOf, errorView, fill, formatTime, h, me, METHOD_NAMES,
  passExpiry, passkeyTypeLabel, relative, reverify, serverNow, showError, template, toDate,
} from './kw.js';

const REGISTRATION = '/v1/me/authentication/fido2Methods/registration';
const panel = $('#panel');
const panelBody = $('#panel-body');
const methodsNotice = $('#methods-notice');
let user = null;
let methods = [];

/* This sign-in */

function renderSession() {
  const session = user.session;
  const used = (session.methods || []).map((m) => METHOD_NAMES[m.method] || m.method);
  const lines = [
    h('p', {}, 'Signed in as ', h('strong', { text: user.displayName }), ' (' + user.userPrincipalName + ')',
      used.length ? ' with ' + [...new Set(used)].join(' and ') + '.' : '.'),
  ];
  const until = session.recentlyVerifiedUntil;
  if (until && toDate(until) > serverNow()) {
    lines.push(h('p', { text: 'You can add or remove passkeys without verifying again until ' + formatTime(until) + ' (' + relative(until) + ').' }));
  } else if (session.lastStrongAuthenticationDateTime) {
    lines.push(h('p', { text: 'You last verified ' + relative(session.lastStrongAuthenticationDateTime) + '. You will be asked to verify again before adding or removing a passkey.' }));
  } else {
    lines.push(h('p', { text: 'You signed in with a password only. Adding a passkey will first ask you to verify with an authenticator app code or a Temporary Access Pass.' }));
  }
  if (session.signedInWithAccessPass) {
    lines.push(h('p', { text: session.signedInWithAccessPass.isUsableOnce
      ? 'This sign-in used a one-time Temporary Access Pass: it is used up now, and this session has 10 minutes to add a passkey.'
      : 'This sign-in used a Temporary Access Pass.' }));
  }
  fill($('#session-summary'), lines);
  $('#session-summary').classList.remove('muted');
}

/* Sign-in methods */

const PASSWORD = '#microsoft.graph.passwordAuthenticationMethod';
const FIDO2 = '#microsoft.graph.fido2AuthenticationMethod';
const TOTP = '#microsoft.graph.softwareOathAuthenticationMethod';
const TAP = '#microsoft.graph.temporaryAccessPassAuthenticationMethod';

async function loadMethods() {
  const list = $('#methods');
  const answer = await api('GET', '/v1/me/authentication/methods');
  list.setAttribute('aria-busy', 'false');
  if (!answer.ok) {
    fill(list);
    showError(methodsNotice, errorOf(answer));
    renderSession();
    return;
  }
  methods = answer.body.value || [];
  const items = methods.map(methodItem);
  if (!methods.some((m) => m['@odata.type'] === FIDO2)) {
    items.push(h('li', { class: 'method' }, glyph('+'), h('div', {},
      h('div', { class: 'method-title', text: 'No passkey yet' }),
      h('p', { class: 'method-facts', text: 'A passkey signs you in with your fingerprint, face, PIN or security key, and cannot be phished.' }))));
  }
  fill(list, items);
  renderSession();
  $('#add-totp').textContent = methods.some((m) => m['@odata.type'] === TOTP) ? 'Replace authenticator app' : 'Set up authenticator app';
}

function glyph(text) {
  return h('span', { class: 'glyph', 'aria-hidden': 'true', text });
}

function methodItem(method) {
  switch (method['@odata.type']) {
    case PASSWORD:
      return h('li', { class: 'method' }, glyph('•••'), h('div', {}, h('div', { class: 'method-title', text: 'Password' })));
    case TOTP:
      return h('li', { class: 'method' }, glyph('123'), h('div', {},
        h('div', { class: 'method-title', text: 'Authenticator app' }),
        h('p', { class: 'method-facts', text: 'Time-based codes' + (method.createdDateTime ? ' · set up ' + formatTime(method.createdDateTime) : '') })));
    case TAP:
      return tapItem(method);
    case FIDO2:
      return passkeyItem(method);
    default:
      return h('li', { class: 'method' }, glyph('?'), h('div', { class: 'method-title', text: method['@odata.type'] }));
  }
}

function tapItem(pass) {
  const expires = passExpiry(pass);
  const facts = [pass.isUsableOnce ? 'One-time' : 'Multi-use'];
  const badge = pass.isUsable
    ? h('span', { class: 'badge ok', text: 'Active' })
    : h('span', { class: 'badge', text: pass.methodUsabilityReason === 'NotYetValid' ? 'Not yet valid' : 'Not usable' });
  if (pass.isUsable) facts.push('expires ' + relative(expires) + ' (' + formatTime(expires) + ')');
  else facts.push(usabilityText(pass.methodUsabilityReason, pass.startDateTime));
  return h('li', { class: 'method' }, glyph('TAP'), h('div', {},
    h('div', { class: 'method-title' }, 'Temporary Access Pass ', badge),
    h('p', { class: 'method-facts', text: facts.join(' · ') })));
}

function usabilityText(reason, start) {
  switch (reason) {
    case 'Expired': return 'expired';
    case 'OneTimeUsed': return 'used to sign in (a one-time pass signs in once)';
    case 'NotYetValid': return 'valid from ' + formatTime(start);
    case 'DisabledByPolicy': return 'turned off by policy';
    default: return reason || 'not usable';
  }
}

function passkeyItem(passkey) {
  const icon = passkey.icon && passkey.icon.startsWith('data:image/') ? passkey.icon : '/assets/passkey.svg';
  const facts = [
    passkey.model || 'Unknown model',
    passkeyTypeLabel(passkey.passkeyType),
    'added ' + formatTime(passkey.createdDateTime),
    passkey.lastUsedDateTime ? 'last used ' + formatTime(passkey.lastUsedDateTime) : 'not used yet',
  ];
  const title = h('div', { class: 'method-title', text: passkey.displayName });
  const body = h('div', {}, title, h('p', { class: 'method-facts', text: facts.join(' · ') }));
  const status = h('div', { class: 'method-status', role: 'status' });
  const item = h('li', { class: 'method', data: { id: passkey.id } },
    h('img', { src: icon, alt: '', width: 40, height: 40 }),
    body,
    h('div', { class: 'method-actions' },
      h('button', { type: 'button', 'aria-label': 'Rename ' + passkey.displayName, on: { click: () => rename(passkey, body, title) } }, 'Rename'),
      h('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + passkey.displayName, on: { click: () => confirmDelete(passkey, body, status) } }, 'Delete')));
  body.append(status);
  return item;
}

function rename(passkey, body, title) {
  const fragment = template('tpl-rename');
  const form = /** @type {HTMLFormElement} */ (fragment.firstElementChild);
  const input = control(form, 'displayName');
  input.value = passkey.displayName;
  title.hidden = true;
  body.prepend(form);
  input.focus();
  input.select();
  const close = () => { form.remove(); title.hidden = false; };
  $('[data-action="cancel"]', form).addEventListener('click', close);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = await api('PATCH', '/v1/me/authentication/fido2Methods/' + encodeURIComponent(passkey.id), { displayName: input.value });
    if (!answer.ok) {
      input.setAttribute('aria-invalid', 'true');
      fill($('.field-error', form), errorOf(answer).message);
      return;
    }
    close();
    await loadMethods();
    announce('Passkey renamed to "' + answer.body.displayName + '".');
  });
}

function confirmDelete(passkey, body, status) {
  const confirm = h('div', { class: 'notice warn' },
    h('p', {}, 'Delete ', h('strong', { text: passkey.displayName }), '? You will no longer be able to sign in with it.'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'danger', on: { click: () => remove(passkey, status) } }, 'Delete passkey'),
      h('button', { type: 'button', on: { click: () => clear(status) } }, 'Keep it')));
  fill(status, confirm);
  $('button', confirm).focus();
}

async function remove(passkey, status) {
  const answer = await api('DELETE', '/v1/me/authentication/fido2Methods/' + encodeURIComponent(passkey.id));
  if (answer.status === 204) {
    await loadMethods();
    announce('Passkey "' + passkey.displayName + '" deleted.');
    return;
  }
  const error = errorOf(answer);
  if (error.question === 2) {
    await reverify(status, error, user);
    await refreshUser();
    return remove(passkey, status);
  }
  fill(status, h('div', { class: 'notice bad' }, errorView(error)));
}

function announce(text) {
  methodsNotice.className = 'notice ok';
  fill(methodsNotice, text);
}

async function refreshUser() {
  user = await me();
  renderSession();
}

/* The panel: "Add a passkey" and the authenticator app */

function openPanel(title) {
  $('#panel-title').textContent = title;
  panel.hidden = false;
  clear(panelBody);
  panel.focus();
}

function closePanel() {
  abortCeremony();
  clear(panelBody);
  panel.hidden = true;
}

panel.addEventListener('click', (event) => {
  if (/** @type {Element} */ (event.target).closest('[data-action="close-panel"]')) {
    closePanel();
    $('#add-passkey').focus();
  }
});

/* Add a passkey: question 1 and 2 (begin), the path, the ceremony (question 3), the server's verdict (question 4). */

let begun = null;
let controller = null;

function abortCeremony() {
  if (controller) controller.abort();
  controller = null;
}

function progress(text) {
  fill(panelBody, h('p', { class: 'muted', role: 'status', text }));
}

/** Begins a registration: the server answers questions 1 and 2 and hands out creation options. */
async function begin(path) {
  const answer = await api('POST', REGISTRATION + '/begin', path ? { path } : {});
  if (answer.ok) {
    begun = answer.body;
    return true;
  }
  begun = null;
  const error = errorOf(answer);
  if (error.question === 2) {
    fill(panelBody, h('p', { class: 'muted', text: 'Before you add a passkey, confirm it is you.' }));
    const box = h('div');
    panelBody.append(box);
    await reverify(box, error, user);
    await refreshUser();
    progress('Verified. Checking whether you can add a passkey…');
    return begin(path);
  }
  if (error.question === 1) showIneligible(error);
  else fill(panelBody, h('div', { class: 'notice bad' }, errorView(error)));
  return false;
}

async function startAdd(preferredPath) {
  openPanel('Add a passkey');
  progress('Checking whether you can add a passkey…');
  if (await begin()) choosePath(preferredPath);
}

function showIneligible(error) {
  const hasTotp = methods.some((m) => m['@odata.type'] === TOTP);
  fill(panelBody, h('div', { class: 'notice bad' },
    errorView(error, { title: 'You can\'t add a passkey to this account' }),
    hasTotp ? null : h('p', { text: 'You can still set up an authenticator app for codes at sign-in.' })));
}

const HINTS = { thisDevice: 'client-device', phone: 'hybrid', securityKey: 'security-key' };
const PATH_NAMES = { thisDevice: 'this device', phone: 'a phone or tablet', securityKey: 'a security key' };

/** The server's options with the chosen path applied, as the server itself maps a path (relying_party.rs). */
function withPath(publicKey, path) {
  const options = structuredClone(publicKey);
  options.authenticatorSelection = {
    ...(options.authenticatorSelection || {}),
    authenticatorAttachment: path === 'thisDevice' ? 'platform' : 'cross-platform',
  };
  options.hints = [HINTS[path]];
  return options;
}

function choosePath(preferredPath) {
  const fragment = template('tpl-path');
  const form = /** @type {HTMLFormElement} */ (fragment.firstElementChild);
  // The path's radio buttons: the group's value is the checked one's.
  const path = /** @type {RadioNodeList} */ (form.elements.namedItem('path'));
  if (preferredPath) path.value = preferredPath;
  const count = methods.filter((m) => m['@odata.type'] === FIDO2).length;
  if (count) $('p', form).textContent = 'You can add a passkey (you have ' + count + ' already). Where should the new one live?';
  fill(panelBody, form);
  $('input[name=path]:checked', form).focus();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    create(path.value, control(form, 'displayName').value.trim());
  });
}

async function create(path, displayName) {
  // The options were handed out when the panel opened; a challenge lives 5 minutes.
  if (!begun || toDate(begun.challengeTimeoutDateTime).getTime() - 15000 < serverNow().getTime()) {
    progress('Preparing a new request…');
    if (!(await begin(path))) return;
  }
  const attempt = begun;
  const waiting = template('tpl-waiting');
  controller = new AbortController();
  const signal = controller.signal;
  $('[data-action="abort"]', waiting).addEventListener('click', abortCeremony);
  fill(panelBody, waiting);
  $('[data-action="abort"]', panelBody).focus();
  let credential;
  try {
    credential = await createCredential(withPath(attempt.publicKey, path), signal);
  } catch (exception) {
    controller = null;
    // Asked only now: the ceremony starts straight from the click, as some browsers require.
    await reportFailure(attempt, exception, path, await clientCapabilities());
    return;
  }
  controller = null;
  progress('Checking the passkey…');
  const body = { attemptId: attempt.attemptId, credential };
  if (displayName) body.displayName = displayName;
  const answer = await api('POST', REGISTRATION + '/finish', body);
  begun = null;
  if (answer.status === 201) {
    added(answer.body);
    await loadMethods();
    return;
  }
  showRefusal(errorOf(answer), path);
}

function added(passkey) {
  fill(panelBody, h('div', { class: 'notice ok' },
    h('h3', { text: 'Passkey added' }),
    h('p', {}, h('strong', { text: passkey.displayName }), ' · ' + (passkey.model || 'unknown model') + ' · ' + passkeyTypeLabel(passkey.passkeyType)),
    h('p', { text: 'Next time, choose "Sign in with a passkey".' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', data: { action: 'close-panel' } }, 'Done'))));
  $('button', panelBody).focus();
}

/** Reports a ceremony the browser ended (question 3 evidence) and shows what to do from the server's verdict. */
async function reportFailure(attempt, exception, path, capabilities) {
  progress('The passkey was not created. Finding out why…');
  const report = {
    attemptId: attempt.attemptId,
    name: exception.name || 'Error',
    message: String(exception.message || '').slice(0, 500),
    clientCapabilities: capabilities.clientCapabilities,
    userAgent: navigator.userAgent,
    path,
  };
  if (typeof capabilities.userVerifyingPlatformAuthenticatorAvailable === 'boolean') {
    report.userVerifyingPlatformAuthenticatorAvailable = capabilities.userVerifyingPlatformAuthenticatorAvailable;
  }
  const answer = await api('POST', REGISTRATION + '/clientError', report);
  begun = null;
  const verdict = answer.ok ? answer.body : { code: 'authenticator_error', question: 3, message: errorOf(answer).message, fix: errorOf(answer).fix };
  const advice = diagnose(verdict.code, path, capabilities);
  fill(panelBody, h('div', { class: 'notice bad', role: 'alert' },
    h('h3', { text: advice.title }),
    h('p', { text: advice.explanation }),
    h('p', {}, h('strong', { text: 'Next step: ' }), advice.next),
    h('p', { class: 'reference', text: 'Reference for your help desk: ' + verdict.code + ' (question 3), attempt ' + attempt.attemptId + ', the browser said ' + report.name + ', path: ' + PATH_NAMES[path] + '.' })),
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'primary', on: { click: () => startAdd(path) } }, 'Try again'),
    h('button', { type: 'button', on: { click: () => startAdd(otherPath(path)) } }, 'Choose another way'),
    h('button', { type: 'button', data: { action: 'close-panel' } }, 'Close')));
  $('button', /** @type {Element} */ (panelBody.lastElementChild)).focus();
}

function otherPath(path) {
  return path === 'thisDevice' ? 'securityKey' : 'thisDevice';
}

/** A specific message and next step for a question-3 verdict, given the path and what the browser reported. */
function diagnose(code, path, capabilities) {
  const caps = capabilities.clientCapabilities || {};
  const noPlatform = capabilities.userVerifyingPlatformAuthenticatorAvailable === false || caps.userVerifyingPlatformAuthenticator === false;
  switch (code) {
    case 'ceremony_not_allowed':
      if (path === 'thisDevice' && noPlatform) {
        return {
          title: 'This device has no screen lock or biometric set up for passkeys',
          explanation: 'Your browser reports no built-in authenticator that can verify you (Windows Hello, Touch ID, Face ID or a screen lock).',
          next: 'Set one up in your device settings and try again, or choose "A phone or tablet" or "A security key".',
        };
      }
      if (path === 'phone' && caps.hybridTransport === false) {
        return {
          title: 'This browser cannot reach a phone or tablet',
          explanation: 'Your browser reports no cross-device support, which needs Bluetooth to reach the phone.',
          next: 'Choose "This device" or "A security key", or open this page on your phone and add the passkey there.',
        };
      }
      if (path === 'securityKey') {
        return {
          title: 'The security key did not finish the request',
          explanation: 'The prompt was cancelled or timed out, or the key was not touched in time.',
          next: 'Insert or tap the key, enter its PIN if asked (set one first if it has none), and touch it when it blinks.',
        };
      }
      return {
        title: 'The passkey prompt was cancelled or timed out',
        explanation: 'No passkey was created on ' + PATH_NAMES[path] + ': the prompt was dismissed, it timed out, or the check of your PIN, fingerprint or face did not go through.',
        next: 'Try again and complete the prompt. If no prompt appeared, choose another way to create the passkey.',
      };
    case 'ceremony_aborted':
      return {
        title: 'You cancelled the request',
        explanation: 'The passkey prompt was stopped before it finished, so nothing was created.',
        next: 'Try again when you are ready, and stay on this page until it finishes.',
      };
    case 'credential_already_registered':
      return {
        title: 'This authenticator already holds a passkey for your account',
        explanation: 'An authenticator keeps one passkey per account, and ' + PATH_NAMES[path] + ' already has yours.',
        next: 'Sign in with that passkey, or delete it from your sign-in methods first, or choose another authenticator.',
      };
    case 'platform_not_supported':
      return {
        title: 'This authenticator cannot create the kind of passkey required',
        explanation: 'keywarden needs a passkey that stays on the authenticator and checks your PIN or biometric; ' + PATH_NAMES[path] + ' cannot make one.',
        next: path === 'securityKey' ? 'Use a FIDO2 security key with a PIN, or choose "This device".' : 'Choose "A security key" or another device that supports passkeys.',
      };
    case 'browser_security_error':
      return {
        title: 'The browser refused to create a passkey for this site address',
        explanation: 'Passkeys are bound to a site name, and this page\'s address is not one keywarden is set up for.',
        next: 'Open keywarden at its usual address (not an IP address or another name) and try again; if it keeps happening, tell your help desk.',
      };
    default:
      return {
        title: 'The authenticator reported an error without explaining it',
        explanation: 'Your browser or authenticator stopped the request for a reason it did not give.',
        next: 'Try again. If it happens again, choose another way and tell your help desk the reference below.',
      };
  }
}

/** The server refused the credential: name the reason and what would work. */
function showRefusal(error, path) {
  const parts = [];
  if (error.question === 4) {
    const acceptance = (error.details && error.details.acceptance) || {};
    const reasons = (acceptance.verdicts || []).flatMap((v) => v.denials.map((d) => d.detail));
    parts.push(h('h3', { text: 'This passkey isn\'t accepted for your account' }));
    parts.push(h('p', { text: error.message }));
    if (reasons.length) parts.push(h('p', { text: 'Why:' }), h('ul', {}, reasons.map((r) => h('li', { text: r }))));
    const accepts = (error.details && error.details.accepts) || [];
    if (accepts.length) {
      parts.push(h('p', {}, h('strong', { text: 'What would work:' })));
      parts.push(h('ul', { class: 'accepts' }, accepts.map(describeProfile)));
      const advice = pathAdvice(accepts);
      if (advice) parts.push(h('p', {}, h('strong', { text: 'Next step: ' }), advice));
    } else if (error.fix) {
      parts.push(h('p', {}, h('strong', { text: 'What to do: ' }), error.fix));
    }
    parts.push(h('p', { class: 'reference', text: 'Reference for your help desk: ' + error.code + ' (question 4)' + (error.attemptId ? ', attempt ' + error.attemptId : '') + '.' }));
  } else {
    parts.push(...errorView(error, { title: error.question === 3 ? 'This authenticator cannot hold a passkey for keywarden' : 'The passkey was not added' }));
  }
  fill(panelBody, h('div', { class: 'notice bad', role: 'alert' }, parts),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', on: { click: () => startAdd(otherPath(path)) } }, 'Try another authenticator'),
      h('button', { type: 'button', data: { action: 'close-panel' } }, 'Close')));
  $('button', /** @type {Element} */ (panelBody.lastElementChild)).focus();
}

/** One profile that applies to the user, in words: passkey types, attestation, models. */
function describeProfile(profile) {
  const types = profile.passkeyTypes.length === 2 ? 'device-bound or synced passkeys'
    : profile.passkeyTypes[0] === 'deviceBound' ? 'device-bound passkeys only (kept on one device or security key)'
      : 'synced passkeys only';
  const parts = [h('strong', { text: profile.name + ': ' }), types];
  if (profile.attestationRequired) parts.push('; the authenticator must prove its model (attestation)');
  const restrictions = profile.keyRestrictions;
  if (restrictions && restrictions.isEnforced) {
    const names = restrictions.aaGuids.map((a) => a.model ? a.model : a.aaGuid);
    parts.push(restrictions.enforcementType === 'allow'
      ? '; only these models: ' + (names.join(', ') || 'none')
      : '; any model except: ' + names.join(', '));
  }
  return h('li', {}, parts);
}

function pathAdvice(accepts) {
  const syncedOk = accepts.some((p) => p.passkeyTypes.includes('synced'));
  if (!syncedOk) {
    return 'Synced passkeys (iCloud Keychain, Google Password Manager, other password managers) are not accepted. Choose "A security key", or "This device" where it keeps the passkey on the device only (such as Windows Hello).';
  }
  if (accepts.some((p) => p.keyRestrictions && p.keyRestrictions.isEnforced && p.keyRestrictions.enforcementType === 'allow')) {
    return 'Use one of the models listed above, or ask your help desk which authenticator to use.';
  }
  return 'Try another authenticator, or ask your help desk.';
}

/* Authenticator app */

async function setUpTotp() {
  openPanel('Set up authenticator app');
  progress('Creating a new key…');
  const answer = await api('POST', '/v1/me/authentication/softwareOathMethods');
  if (answer.status === 201) {
    const fragment = template('tpl-totp');
    $('.totp-secret', fragment).textContent = answer.body.secret.replace(/(.{4})/g, '$1 ').trim();
    $('.totp-uri', fragment).textContent = answer.body.uri;
    const qr = /** @type {HTMLImageElement} */ ($('.totp-qr', fragment));
    if (answer.body.qrCodeSvg) qr.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(answer.body.qrCodeSvg);
    else qr.remove();
    fill(panelBody, fragment);
    $('button', panelBody).focus();
    await loadMethods();
    return;
  }
  const error = errorOf(answer);
  if (error.question === 2) {
    const box = h('div');
    fill(panelBody, box);
    await reverify(box, error, user);
    await refreshUser();
    return setUpTotp();
  }
  fill(panelBody, h('div', { class: 'notice bad' }, errorView(error)));
}

$('#add-passkey').addEventListener('click', () => startAdd());
$('#add-totp').addEventListener('click', () => setUpTotp());

user = await me();
await loadMethods();
