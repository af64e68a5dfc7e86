// Debian's Chromium driven by playwright-core, the CDP WebAuthn virtual authenticator, TOTP codes, and screenshots written to e2e/artifacts for a person to look at.

import crypto from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const artifacts = path.join(here, '..', 'artifacts');

/** The flags this machine's closed network and root user need; Playwright adds a fresh --user-data-dir. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** A new browser context (its own cookies) and page on `origin`. */
export async function newPage(browser, origin, viewport = DESKTOP) {
  const context = await browser.newContext({ baseURL: origin, viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push('console: ' + m.text());
  });
  page.problems = problems;
  return page;
}

/**
 * A CTAP2 virtual authenticator on the page (WebAuthn.addVirtualAuthenticator): a platform authenticator
 * (`internal`) with resident keys and user verification. `backupEligible` makes its passkeys synced.
 */
export async function addAuthenticator(page, { backupEligible = false, transport = 'internal' } = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport,
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      defaultBackupEligibility: backupEligible,
      defaultBackupState: backupEligible,
    },
  });
  return {
    id: authenticatorId,
    async credentials() {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    },
    /** Makes the user decline (or fail) verification: the browser ends the ceremony with NotAllowedError. */
    async setUserVerified(verified) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: verified });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}

/** Writes a full-page screenshot to e2e/artifacts/<name>.png. */
export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
}

/** The same page at phone size (390×844), then back. */
export async function phoneScreenshot(page, name) {
  const before = page.viewportSize();
  await page.setViewportSize(PHONE);
  await screenshot(page, name);
  await page.setViewportSize(before);
}

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at `at` (milliseconds). */
export function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, '0');
}

/** Signs in with user name and password (and the TOTP code when asked) on the sign-in page. */
export async function signInWithPassword(page, upn, password, totpSecret) {
  await page.goto('/security-info/signin');
  const form = page.locator('#form-password');
  await form.getByLabel('User name').fill(upn);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (totpSecret) {
    const second = page.locator('#form-totp');
    await second.getByLabel('Code', { exact: true }).fill(totp(totpSecret));
    await second.getByRole('button', { name: 'Verify' }).click();
  }
}

/**
 * Signs an administrator in as the console requires: the password, then a code from an authenticator app set up for
 * them through the CLI (a password alone never administers).
 */
export async function signInAsAdmin(page, keywarden, upn, password) {
  const secret = await keywarden.setUpTotp(upn);
  await signInWithPassword(page, upn, password, secret);
  await page.waitForURL('**/security-info');
  return secret;
}

/** Signs in with a Temporary Access Pass on the sign-in page and waits for `landing`. */
export async function signInWithPass(page, upn, code, next = '/security-info') {
  await page.goto(next === '/security-info' ? '/security-info/signin' : '/security-info/signin?next=' + encodeURIComponent(next));
  await page.getByRole('button', { name: 'Use a Temporary Access Pass' }).click();
  const form = page.locator('#form-tap');
  await form.getByLabel('User name').fill(upn);
  await form.getByLabel('Temporary Access Pass').fill(code);
  await form.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('**' + next);
}
