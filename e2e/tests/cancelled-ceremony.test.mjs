// Contract: a ceremony the browser ends (the user declines verification: NotAllowedError) is reported to the attempt as question-3 evidence, the user gets a specific message and next step, and the help desk sees the DOMException, capabilities, path, code and fix on the user's admin page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  addAuthenticator, launch, newPage, phoneScreenshot, screenshot, signInWithPass, signInWithPassword,
} from '../support/browser.mjs';
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

test('a cancelled ceremony is recorded as question 3 and shown in the admin console', async () => {
  const pass = await keywarden.issuePass('cody@contoso.com', { once: true });
  const page = await newPage(browser, keywarden.origin);
  const authenticator = await addAuthenticator(page);
  await signInWithPass(page, 'cody@contoso.com', pass);

  // The user dismisses the verification prompt.
  await authenticator.setUserVerified(false);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByLabel('This device').check();
  await page.getByRole('button', { name: 'Create passkey' }).click();
  const failure = page.getByRole('alert').filter({ hasText: 'cancelled or timed out' });
  await failure.waitFor();
  const text = await failure.innerText();
  assert.match(text, /The passkey prompt was cancelled or timed out/, 'a specific message');
  assert.match(text, /Next step: Try again and complete the prompt/, 'a next step');
  assert.match(text, /ceremony_not_allowed \(question 3\)/, 'the reference for the help desk');
  assert.match(text, /NotAllowedError/);
  assert.doesNotMatch(text, /weren't able to add this method/);
  await screenshot(page, 'ceremony-cancelled');

  // The help desk finds Cody and reads the attempt's question-3 evidence.
  const helpdesk = await newPage(browser, keywarden.origin);
  await signInWithPassword(helpdesk, 'helpdesk@contoso.com', 'helpdesk-password');
  await helpdesk.waitForURL('**/security-info');
  await helpdesk.goto('/admin/users');
  await helpdesk.getByLabel('User principal name or display name').fill('cody');
  await helpdesk.getByRole('button', { name: 'Search' }).click();
  await helpdesk.getByRole('link', { name: 'Cody Cancel' }).click();
  await helpdesk.waitForURL('**/admin/users/*');

  const diagnosis = helpdesk.locator('#diagnosis');
  await diagnosis.getByText('Failed at question 3').waitFor();
  const summary = await diagnosis.innerText();
  assert.match(summary, /ceremony_not_allowed/, 'the diagnosis names the code');
  assert.match(summary, /The browser reported NotAllowedError/, 'the DOMException');
  assert.match(summary, /on the path "this device"/, 'the chosen path');
  assert.match(summary, /Fix: Retry and complete the prompt/, 'the fix');

  const attempt = helpdesk.locator('details.attempt').first();
  const q3 = attempt.locator('li[data-question="3"]');
  await q3.waitFor();
  const evidence = await q3.innerText();
  assert.match(evidence, /failed: ceremony_not_allowed/);
  assert.match(evidence, /Browser said\s+NotAllowedError/);
  assert.match(evidence, /Path chosen\s+this device/);
  assert.match(evidence, /Platform authenticator available\s+yes/);
  assert.match(evidence, /Capabilities supported\s+.*userVerifyingPlatformAuthenticator/);
  assert.match(await attempt.innerText(), /Fix: Retry and complete the prompt/);
  await screenshot(helpdesk, 'admin-user-diagnosis');
  await phoneScreenshot(helpdesk, 'admin-user-phone');
  assert.deepEqual(page.problems, []);
  assert.deepEqual(helpdesk.problems, []);
});
