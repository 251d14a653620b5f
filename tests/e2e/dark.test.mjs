// The dark theme follows the desktop's: with GTK asked for its dark variant the
// window reports `prefers-color-scheme: dark`, paints dark, and stays axe-clean
// (contrast included). Produces the dark screenshot for README.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axeViolations, screenshot, startApp } from './harness.mjs';

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
  const found = await axeViolations(browser);
  assert.deepEqual(found, []);
});
