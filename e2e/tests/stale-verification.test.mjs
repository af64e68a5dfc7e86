// Contract: a user whose last strong authentication is outside the registration window is asked to verify again in place (question 2) instead of failing, and then registers. The window is 1 minute here, so the test waits just over it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { addAuthenticator, launch, newPage, screenshot, signInWithPassword, totp } from '../support/browser.mjs';
import { startKeywarden } from '../support/server.mjs';

let keywarden;
let browser;

before(async () => {
  keywarden = await startKeywarden({ env: { KEYWARDEN_REGISTRATION_WINDOW_MINUTES: '1' } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await keywarden?.stop();
});

test('stale strong authentication is asked for again in place, then the passkey is added', async () => {
  const secret = await keywarden.setUpTotp('stella@contoso.com');
  const page = await newPage(browser, keywarden.origin);
  await addAuthenticator(page);
  await signInWithPassword(page, 'stella@contoso.com', 'stella-password', secret);
  await page.waitForURL('**/security-info');
  const signedInAt = Date.now();

  // Let the 1-minute registration window pass; a later TOTP step is also needed (codes cannot be replayed).
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, signedInAt + 62000 - Date.now())));
  await page.reload();
  await page.locator('#session-summary', { hasText: 'verify again' }).waitFor();

  await page.getByRole('button', { name: 'Add a passkey' }).click();
  const panel = page.locator('#panel');
  await panel.getByRole('heading', { name: 'Verify your identity again' }).waitFor();
  assert.match(await panel.innerText(), /within the last minute/, 'the page says why it asks');
  await screenshot(page, 'verify-again');
  await panel.getByLabel('Code from your authenticator app').fill(totp(secret));
  await panel.getByRole('button', { name: 'Verify', exact: true }).click();

  // Verified: the page goes on to the path choice by itself, and the passkey is added.
  await panel.getByLabel('This device').check();
  await panel.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByRole('heading', { name: 'Passkey added' }).waitFor();
  assert.deepEqual(page.problems, []);
});
