// Contract: a user whose last strong authentication is outside the registration window is asked to verify again in place (question 2) instead of failing, and then registers. The window is 1 minute here, and the test moves the server's test clock (KEYWARDEN_TEST_CLOCK_FILE) past it instead of waiting.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { addAuthenticator, launch, newPage, screenshot, signInWithPassword, totp } from '../support/browser.mjs';
import { startKeywarden } from '../support/server.mjs';

let keywarden;
let browser;

before(async () => {
  keywarden = await startKeywarden({ env: { KEYWARDEN_REGISTRATION_WINDOW_MINUTES: '1' }, testClock: true });
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

  // Two minutes pass on the server's clock: the 1-minute registration window is over, and the next TOTP code is of
  // a later step than the sign-in's (codes cannot be replayed).
  await keywarden.advanceClock(120);
  await page.reload();
  await page.locator('#session-summary', { hasText: 'verify again' }).waitFor();

  const begun = page.waitForResponse((response) => response.url().endsWith('/registration/begin'));
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  const refusal = await begun;
  assert.deepEqual([refusal.status(), (await refusal.json()).error?.code], [403, 'reauthentication_required'],
    'the API refuses to begin a registration on the stale session');
  const panel = page.locator('#panel');
  await panel.getByRole('heading', { name: 'Verify your identity again' }).waitFor();
  assert.match(await panel.innerText(), /within the last minute/, 'the page says why it asks');
  await screenshot(page, 'verify-again');
  await panel.getByLabel('Code from your authenticator app').fill(totp(secret, keywarden.now()));
  await panel.getByRole('button', { name: 'Verify', exact: true }).click();

  // Verified: the page goes on to the path choice by itself, and the passkey is added.
  await panel.getByLabel('This device').check();
  await panel.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByRole('heading', { name: 'Passkey added' }).waitFor();
  assert.deepEqual(page.problems, []);
});
