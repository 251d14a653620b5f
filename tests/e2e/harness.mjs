// Starts tauri-driver and a WebDriver session on the real app binary.
// Environment (set by `cargo xtask test`): TRUSTDESK_APP (binary), TRUSTDESK_DATA_DIR
// (seeded store; reaches the app through tauri-driver and WebKitWebDriver).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { remote } from 'webdriverio';

const PORT = 4444;

/** Resolves once `port` on loopback is open (`open`) or closed (`!open`):
 * a driver killed a moment ago may still hold it. */
function waitForPort(port, timeoutMs, open = true) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, '127.0.0.1');
      const settle = (isOpen) => {
        sock.destroy();
        if (isOpen === open) resolve();
        else if (Date.now() > deadline) reject(new Error(`port ${port} did not ${open ? 'open' : 'close'}`));
        else setTimeout(attempt, 100);
      };
      sock.once('connect', () => settle(true));
      sock.once('error', () => settle(false));
    };
    attempt();
  });
}

export async function startApp() {
  const application = process.env.TRUSTDESK_APP;
  if (!application) throw new Error('TRUSTDESK_APP is not set; run through `cargo xtask test`');
  // Its own process group, so stop() can end the driver, WebKitWebDriver and the
  // app together; output to a file, so no process that outlives a test holds
  // the test runner's pipes open.
  const outDir = process.env.TRUSTDESK_E2E_OUT ?? '.';
  mkdirSync(outDir, { recursive: true });
  const log = openSync(path.join(outDir, 'tauri-driver.log'), 'a');
  // the previous test's driver must be gone, or the new one cannot bind and
  // the session would reach the dying old one
  await waitForPort(PORT, 15000, false);
  const driver = spawn('tauri-driver', ['--port', String(PORT)], { stdio: ['ignore', log, log], detached: true });
  await waitForPort(PORT, 15000);
  // Creating the session launches the app: the start of a cold start.
  const launchedAt = Date.now();
  const browser = await remote({
    hostname: '127.0.0.1',
    port: PORT,
    logLevel: 'warn',
    capabilities: { 'tauri:options': { application } },
  });
  return {
    browser,
    launchedAt,
    async stop() {
      try {
        await browser.deleteSession();
      } finally {
        try {
          process.kill(-driver.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await waitForPort(PORT, 15000, false);
      }
    },
  };
}

export function expected() {
  return JSON.parse(process.env.TRUSTDESK_E2E_EXPECT ?? '{}');
}

// Captures the X screen with ImageMagick rather than WebDriver's screenshot
// command: WebKitWebDriver's snapshot once hung for two minutes in CI and took
// the session's later commands with it. A picture is documentation, so a failed
// one is reported and never fails or stalls a test.
function captureScreen(file) {
  return new Promise((resolve) => {
    execFile('import', ['-window', 'root', file], { timeout: 15000 }, (err) => {
      if (err) console.error(`# screenshot ${path.basename(file)} not taken: ${err.message}`);
      resolve();
    });
  });
}

export async function screenshot(_browser, name) {
  const dir = process.env.TRUSTDESK_E2E_OUT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  // A fresh frame needs a moment after the last change.
  await new Promise((r) => setTimeout(r, 1000));
  await captureScreen(path.join(dir, `${name}.png`));
}

/**
 * The visible text of every element matching `selector`, read in the page in
 * one go: a background sync may redraw a list between finding its elements
 * and reading them, which fails a per-element read with a stale element.
 */
export async function texts(browser, selector) {
  return browser.execute(
    (sel) => [...document.querySelectorAll(sel)].map((n) => n.innerText.trim()),
    selector,
  );
}

/** Runs `step`; on failure saves a screenshot and the page text next to the other output. */
export async function explained(browser, name, step) {
  try {
    return await step();
  } catch (e) {
    const dir = process.env.TRUSTDESK_E2E_OUT;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await captureScreen(path.join(dir, `FAILED-${name}.png`));
      const text = await browser.execute(() => document.body.innerText).catch(() => '');
      e.message += `\n--- page text at failure ---\n${String(text).slice(0, 3000)}`;
    }
    throw e;
  }
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on the page as it is now (every rule), one line each. */
export async function axeViolations(browser) {
  const loaded = await browser.execute(() => typeof window.axe !== 'undefined');
  if (!loaded) await browser.execute(`${AXE}\nreturn true;`);
  const found = await browser.executeAsync((done) => {
    window.axe
      .run(document, { resultTypes: ['violations'] })
      .then((r) =>
        done(
          r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
          })),
        ),
      )
      .catch((e) => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));
  });
  return found.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`);
}
