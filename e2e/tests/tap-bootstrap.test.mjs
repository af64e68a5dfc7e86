// Contract: a new user with no method but a Temporary Access Pass signs in with it, registers a platform passkey through Security info, signs out, signs back in with that passkey without typing a user name (from the user name field's suggestions, and with the button where the browser has no passkey autofill), and sets up an authenticator app from its QR code.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { addAuthenticator, launch, newPage, phoneScreenshot, screenshot, signInWithPass } from '../support/browser.mjs';
import { startKeywarden } from '../support/server.mjs';

let keywarden;
let browser;

before(async () => {
  keywarden = await startKeywarden();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await keywarden?.stop();
});

test('a new user bootstraps with a pass, registers a platform passkey and signs in with it username-less', async () => {
  const pass = await keywarden.issuePass('nora@contoso.com', { once: true });
  const page = await newPage(browser, keywarden.origin);
  const authenticator = await addAuthenticator(page, { backupEligible: false });

  // Security info sends a visitor without a session to sign-in, and back after it.
  await page.goto('/security-info');
  await page.waitForURL('**/security-info/signin?next=%2Fsecurity-info');
  await screenshot(page, 'signin-desktop');
  await phoneScreenshot(page, 'signin-phone');
  await signInWithPass(page, 'nora@contoso.com', pass);
  await assert.doesNotReject(page.getByText('No passkey yet').waitFor());
  await assert.doesNotReject(page.getByText('Temporary Access Pass', { exact: false }).first().waitFor());

  // Add a passkey on this device.
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('This device').check();
  await page.getByLabel('Name (optional)').fill('Nora laptop');
  await screenshot(page, 'add-passkey-path');
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByRole('heading', { name: 'Passkey added' }).waitFor();
  const item = page.locator('#methods li', { hasText: 'Nora laptop' });
  await item.waitFor();
  assert.match(await item.innerText(), /Device-bound/, 'the passkey is listed as device-bound');
  assert.equal((await authenticator.credentials()).length, 1, 'the authenticator holds one resident credential');
  await page.getByRole('button', { name: 'Done' }).click();
  await screenshot(page, 'security-info-desktop');
  await phoneScreenshot(page, 'security-info-phone');

  // Sign out. The sign-in page offers the passkey among the user name field's suggestions (conditional mediation),
  // and the virtual authenticator picks it as a person would: Nora is back without typing a name or pressing a button.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#session-summary', { hasText: 'with passkey' }).waitFor();
  assert.match(await page.locator('#session-summary').innerText(), /Nora Newbie/, 'passkey autofill signed Nora in');

  // Again in a browser without passkey autofill: the button asks for a passkey, still with no user name.
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/security-info/signin');
  assert.equal(await page.locator('#username').inputValue(), '', 'no user name is typed');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL('**/security-info');
  await page.locator('#session-summary', { hasText: 'with passkey' }).waitFor();
  const summary = await page.locator('#session-summary').innerText();
  assert.match(summary, /Nora Newbie/, 'the passkey signed Nora in');
  const used = page.locator('#methods li', { hasText: 'Nora laptop' });
  await used.waitFor();
  assert.match(await used.innerText(), /last used/, 'the passkey shows when it was last used');

  // Set up an authenticator app: the key and its QR code are shown once, the QR code as an image the CSP allows.
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  const qr = page.getByRole('img', { name: 'QR code of the authenticator app link below' });
  await qr.waitFor();
  await page.waitForFunction(() => document.querySelector('.totp-qr')?.complete);
  assert.ok(await qr.evaluate((img) => img.naturalWidth > 0), 'the QR code image loads');
  await screenshot(page, 'totp-qr');
  await page.getByRole('button', { name: "I've added it" }).click();
  await page.locator('#methods li', { hasText: 'Authenticator app' }).waitFor();
  assert.equal(await page.locator('.totp-qr').count(), 0, 'the QR code is not shown again');
  assert.deepEqual(page.problems, [], 'the pages ran without script errors or CSP violations');
});
