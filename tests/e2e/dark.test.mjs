// The dark theme follows the desktop's: with GTK asked for its dark variant the
// window reports `prefers-color-scheme: dark`, paints dark, and stays axe-clean
// (contrast included). Produces the dark screenshot for README.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { screenshot, startApp } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let app;
let browser;

before(async () => {
  process.env.GTK_THEME = 'Adwaita:dark';
  try {
    app = await startApp();
  } finally {
    delete process.env.GTK_THEME;
  }
  browser = app.browser;
  await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
    timeout: 20000,
    timeoutMsg: 'the queue did not load',
  });
});

after(async () => {
  await app?.stop();
});

test('the window follows the desktop into the dark theme', async () => {
  assert.equal(await browser.execute(() => matchMedia('(prefers-color-scheme: dark)').matches), true);
  const [r, g, b] = await browser.execute(() =>
    getComputedStyle(document.documentElement)
      .backgroundColor.match(/\d+/g)
      .slice(0, 3)
      .map(Number),
  );
  assert.ok(r + g + b < 120, `a dark background: rgb(${r}, ${g}, ${b})`);
  await browser.$('[data-testid="review-detail"]').waitForExist({ timeout: 5000 });
  await screenshot(browser, 'dark-queue');
});

test('the dark queue is axe-clean, contrast included', async () => {
  await browser.execute(`${AXE}\nreturn true;`);
  const found = await browser.executeAsync((done) => {
    window.axe
      .run(document, { resultTypes: ['violations'] })
      .then((r) => done(r.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)))
      .catch((e) => done([`axe-error: ${e}`]));
  });
  assert.deepEqual(found, []);
});
