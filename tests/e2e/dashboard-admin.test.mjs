// The admin's dashboard on a seeded team's history: every member's figures, the
// bias guard's warning with its figures and examples, and the member chart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Key } from 'webdriverio';
import { appWithOwnCentral } from './central.mjs';
import { explained, screenshot } from './harness.mjs';

let central;
let app;
let browser;

before(async () => {
  ({ central, app } = await appWithOwnCentral(
    'dashboard-admin',
    ['--shops', '20', '--reviews', '3000', '--audits', '0', '--disputes', '0', '--seed', '42', '--history'],
    'admin',
    'Ada Admin',
  ));
  browser = app.browser;
});

after(async () => {
  await app?.stop();
  await central?.stop();
});

const rows = (testid) =>
  browser.execute(
    (id) =>
      [...document.querySelectorAll(`[data-testid="${id}"] tbody tr`)].map((tr) => ({
        state: tr.getAttribute('data-state'),
        cells: [...tr.children].map((c) => c.textContent.trim()),
      })),
    testid,
  );

test('an admin sees every member, and the seeded bias is flagged with its figures', () =>
  explained(browser, 'dashboard-admin', async () => {
    // Once signed in and showing the queue, the view keys work.
    await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
      timeout: 30000,
      timeoutMsg: 'no reviews arrived from the server',
    });
    await browser.keys([Key.Shift, 'O']);
    await browser.$('[data-testid="dashboard"]').waitForExist({ timeout: 10000 });
    const fresh = browser.$('[data-testid="fresh-team"]');
    await browser.waitUntil(async () => /^Team figures fetched .+ ago/.test(await fresh.getText()), {
      timeout: 30000,
      timeoutMsg: 'the team figures did not arrive with the first sync',
    });

    // Agreement: the team and the four seeded moderators.
    const agreement = await rows('table-agreement');
    const labels = agreement.map((r) => r.cells[0]);
    for (const name of ['Team', 'Jonas Becker', 'Lena Vos', 'Luca Romano', 'Marta Nowak']) {
      assert.ok(labels.includes(name), `${name} in ${labels}`);
    }
    // The bias guard: Luca removes negative reviews more often, and says so prominently.
    const bias = await rows('table-bias');
    const luca = bias.find((r) => r.cells[0] === 'Luca Romano');
    assert.equal(luca?.state, 'warning', JSON.stringify(bias));
    const warning = browser.$('[data-testid="bias-warning"]');
    assert.ok(await warning.isExisting(), 'the warning is shown');
    const text = await warning.getText();
    assert.match(text, /Luca Romano/);
    assert.match(text, /\d+ %|\d+%/, `the warning gives the rates: ${text}`);
    assert.ok((await browser.$$('[data-testid="bias-examples"] li')).length >= 1, 'examples listed');

    // Members: one chart of everyone's last 24 hours, with its table.
    await browser.waitUntil(async () => browser.$('[data-testid="chart-members"] svg').isExisting(), {
      timeout: 10000,
      timeoutMsg: 'the members chart was not drawn',
    });
    const members = await rows('table-members');
    assert.equal(members.length, 4, JSON.stringify(members));
    // Each member's decisions by reason against stars: every seeded member published something.
    const byReason = await browser.execute(() =>
      [...document.querySelectorAll('[data-testid="table-member-decisions"] tbody tr')].map((tr) => ({
        member: tr.getAttribute('data-member'),
        decision: tr.getAttribute('data-decision'),
      })),
    );
    for (const name of ['Jonas Becker', 'Lena Vos', 'Luca Romano', 'Marta Nowak']) {
      assert.ok(byReason.some((r) => r.member === name && r.decision === 'publish'), `${name}: ${JSON.stringify(byReason)}`);
    }
    await screenshot(browser, 'dashboard-admin');
  }));

test('a disagreement in the calibration queue is settled and recorded on the server', () =>
  explained(browser, 'dashboard-calibration', async () => {
    await browser.waitUntil(async () => (await browser.$$('[data-testid="calibration-item"]')).length > 0, {
      timeout: 15000,
      timeoutMsg: 'no calibration items (the seeded team disagrees now and then)',
    });
    const open = await browser.$$('[data-testid="calibration-item"][data-settled=""]');
    assert.ok(open.length > 0, 'open disagreements are listed');
    const item = open[0];
    const text = await item.getText();
    assert.match(text, /First: .+\(.+\) · Second: .+\(.+\)/, text);
    await item.$('[data-testid="settle-second"]').click();
    await browser.waitUntil(
      async () => (await browser.$$('[data-testid="calibration-item"]:not([data-settled=""])')).length > 0,
      { timeout: 10000, timeoutMsg: 'the settled answer did not show' },
    );
    const res = await fetch(`${central.url}/v1/calibration`, {
      headers: { authorization: `Bearer ${central.token}` },
    });
    const queue = await res.json();
    const settled = queue.filter((i) => i.settled !== null);
    assert.equal(settled.length, 1, JSON.stringify(settled));
    assert.equal(settled[0].settled, settled[0].second_decision);
    assert.equal(settled[0].settled_by, 'Ada Admin');
  }));

