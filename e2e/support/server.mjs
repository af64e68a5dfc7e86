// Starts the real keywarden binary for one test: a temporary SQLite database seeded through the CLI (users, groups, policy), `keywarden serve` on a free port, and helpers for the CLI.

import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtures = path.join(here, '..', 'fixtures');
const repo = path.join(here, '..', '..');

/** The keywarden binary: KEYWARDEN_BIN, else the debug build in CARGO_TARGET_DIR (or ./target). */
export function binary() {
  if (process.env.KEYWARDEN_BIN) return process.env.KEYWARDEN_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(repo, 'target');
  return path.join(target, 'debug', 'keywarden');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A running keywarden: `origin` is http://localhost:<port> (WebAuthn needs a domain, not an IP), `cli(...args)`
 * runs the command line on the same database, `stop()` ends it and removes the database.
 *
 * With `testClock`, the server (and the command line) run on a test clock: `KEYWARDEN_TEST_CLOCK_FILE` names a file
 * holding the seconds added to the time, which `advanceClock(seconds)` rewrites, so that a test moves time forward
 * instead of waiting; `now()` is that time in milliseconds, for TOTP codes. keywarden allows the setting only on
 * http://localhost and a loopback address, which is what this function starts.
 */
export async function startKeywarden({ env = {}, testClock = false } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keywarden-e2e-'));
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const clockFile = path.join(dir, 'clock');
  let offsetSeconds = 0;
  // Written whole then renamed into place, so that the server never reads a half-written file.
  const writeClock = async () => {
    await writeFile(clockFile + '.tmp', `${offsetSeconds}\n`);
    await rename(clockFile + '.tmp', clockFile);
  };
  if (testClock) await writeClock();
  const environment = {
    ...process.env,
    KEYWARDEN_DATABASE_URL: `sqlite://${path.join(dir, 'keywarden.db')}`,
    KEYWARDEN_LISTEN: `127.0.0.1:${port}`,
    KEYWARDEN_ORIGINS: origin,
    KEYWARDEN_RP_ID: 'localhost',
    // The secret the server derives its sign-in seal from (keywarden serve refuses to start without one).
    KEYWARDEN_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
    RUST_LOG: process.env.RUST_LOG || 'warn',
    ...(testClock ? { KEYWARDEN_TEST_CLOCK_FILE: clockFile } : {}),
    ...env,
  };
  const cli = async (...args) => {
    try {
      const { stdout } = await run(binary(), args, { env: environment, maxBuffer: 10 * 1024 * 1024 });
      return stdout;
    } catch (e) {
      throw new Error(`keywarden ${args.join(' ')} failed (${e.code}): ${e.stderr || e.message}`);
    }
  };
  await cli('users', 'import', path.join(fixtures, 'users.csv'));
  await cli('groups', 'import', path.join(fixtures, 'groups.csv'));
  await cli('policy', 'apply', path.join(fixtures, 'policy.json'));

  const server = spawn(binary(), ['serve'], { env: environment, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (chunk) => { log = (log + chunk).slice(-20000); });
  const exited = new Promise((resolve) => server.on('exit', resolve));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`keywarden serve exited with ${server.exitCode}: ${log}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.ok) break;
    } catch { /* Not listening yet. */ }
    if (Date.now() > deadline) throw new Error(`keywarden serve did not become ready: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    origin,
    port,
    cli,
    log: () => log,
    /** Moves the test clock forward by `seconds`; the server's next request sees it (needs `testClock`). */
    async advanceClock(seconds) {
      if (!testClock) throw new Error('advanceClock needs startKeywarden({ testClock: true })');
      offsetSeconds += seconds;
      await writeClock();
    },
    /** Now by the server's clock, in milliseconds (the real time without a test clock). */
    now: () => Date.now() + offsetSeconds * 1000,
    /** Issues a Temporary Access Pass through the CLI and returns its code. */
    async issuePass(upn, { once = true, lifetime = 60 } = {}) {
      const args = ['tap', 'issue', upn, '--lifetime', String(lifetime), '--format', 'json'];
      if (once) args.push('--once');
      return JSON.parse(await cli(...args)).temporaryAccessPass;
    },
    /** Sets up an authenticator app through the CLI and returns its base32 secret. */
    async setUpTotp(upn) {
      const out = await cli('users', 'totp', upn);
      const match = out.match(/secret:\s*([A-Z2-7]+)/);
      if (!match) throw new Error('no TOTP secret in: ' + out);
      return match[1];
    },
    async stop() {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
