// The sign-in page: password then TOTP, a Temporary Access Pass, or a passkey (username-less when no name is typed, and offered among the user name field's suggestions where the browser can), then back to the page that sent the visitor here.
// @ts-check

import { $, api, byId, clear, control, errorOf, fill, passkeySignIn, showError } from './kw.js';

const main = byId('main');
const errorBox = $('#signin-error');
const status = $('#signin-status');
const steps = { first: $('#step-first'), totp: $('#form-totp'), tap: $('#form-tap') };

/** Where to go once signed in: the page's `next`, if it is a path on this site. */
function next() {
  const wanted = main.dataset.next || '/security-info';
  return wanted.startsWith('/') && !wanted.startsWith('//') && !wanted.includes('\\') ? wanted : '/security-info';
}

function show(step) {
  for (const [name, el] of Object.entries(steps)) el.hidden = name !== step;
  clear(errorBox);
  const first = steps[step].querySelector('input:not([type=hidden])');
  if (first) first.focus();
}

function busy(form, on) {
  for (const button of form.querySelectorAll('button')) button.disabled = on;
  fill(status, on ? 'Signing in…' : '');
}

/** Handles a sign-in step's answer: done, a second factor to enter, or an error to show. */
function answered(answer) {
  if (answer.ok && answer.body.status === 'signedIn') {
    fill(status, 'Signed in. Opening your page…');
    location.assign(next());
    return;
  }
  if (answer.ok && answer.body.status === 'mfaRequired') {
    show('totp');
    return;
  }
  showError(errorBox, errorOf(answer));
}

$('form', steps.first).addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const username = control(form, 'username').value.trim();
  const password = control(form, 'password').value;
  if (!username || !password) {
    showError(errorBox, { message: 'Enter your user name and password.' });
    return;
  }
  busy(form, true);
  const answer = await api('POST', '/v1/signin/password', { username, password });
  busy(form, false);
  control(form, 'password').value = '';
  answered(answer);
});

steps.totp.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  busy(form, true);
  const answer = await api('POST', '/v1/signin/totp', { code: control(form, 'code').value.trim() });
  busy(form, false);
  control(form, 'code').value = '';
  answered(answer);
});

steps.tap.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const username = control(form, 'username').value.trim();
  const code = control(form, 'code').value.trim();
  if (!username || !code) {
    showError(errorBox, { message: 'Enter your user name and the Temporary Access Pass.' });
    return;
  }
  busy(form, true);
  const answer = await api('POST', '/v1/signin/tap', { username, code });
  busy(form, false);
  control(form, 'code').value = '';
  answered(answer);
});

/* Passkey autofill: where the browser can offer passkeys among the user name field's suggestions (conditional
   mediation), a username-less request waits there from the start. The button cancels it before opening a dialog. */
let autofill = null;

async function offerAutofill() {
  let available = false;
  try {
    available = Boolean(window.PublicKeyCredential && PublicKeyCredential.isConditionalMediationAvailable &&
      await PublicKeyCredential.isConditionalMediationAvailable());
  } catch { /* An older browser: the button is the way. */ }
  if (!available) return;
  const controller = new AbortController();
  autofill = controller;
  const answer = await passkeySignIn({ signal: controller.signal, mediation: 'conditional' });
  if (autofill === controller) autofill = null;
  // Not started, cancelled (by the button) or given up by the browser: the other ways to sign in stay, with nothing
  // to say. A passkey the user picked and the server refused is explained like the button's.
  if (!answer.ok && (answer.status === 0 || answer.stage === 'begin')) return;
  answered(answer);
}

$('#passkey-signin').addEventListener('click', async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  autofill?.abort();
  autofill = null;
  clear(errorBox);
  button.disabled = true;
  fill(status, 'Waiting for your passkey…');
  const answer = await passkeySignIn();
  button.disabled = false;
  fill(status, '');
  answered(answer);
});

$('#show-tap').addEventListener('click', () => {
  /** @type {HTMLInputElement} */ ($('#tap-username')).value = /** @type {HTMLInputElement} */ ($('#username')).value.trim();
  show('tap');
});

for (const button of document.querySelectorAll('[data-action="restart"]')) {
  button.addEventListener('click', () => show('first'));
}

offerAutofill();
