// The dashboard through the real window: a moderator decides two reviews with p,
// opens the dashboard with Shift+O and finds them in the local figures; the
// charts are drawn as SVG under the strict CSP, the team figures arrive with a
// sync, and the render time is measured.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Key } from 'webdriverio';
import { appWithOwnCentral } from './central.mjs';
import { explained, screenshot } from './harness.mjs';

let central;
let app;
let browser;
/** Start of the UTC hour in which the first decision was made. */
let decidedFrom;

before(async () => {
  ({ central, app } = await appWithOwnCentral(
    'dashboard',
    // With a seeded team's history, so the server has agreement and bias figures.
    ['--shops', '8', '--reviews', '1500', '--audits', '0', '--disputes', '0', '--seed', '11', '--history'],
    'moderator',
    'Dee Ashboard',
  ));
  browser = app.browser;
});

after(async () => {
  await app?.stop();
  await central?.stop();
});

const count = async (state) =>
  Number((await browser.$(`[data-testid="tab-${state}"]`).getText()).match(/(\d+)\s*$/)?.[1]);

/** A table's body rows, read from the DOM: a closed "Figures as a table" hides them from getText. */
const tableRows = (testid) =>
  browser.execute(
    (id) =>
      [...document.querySelectorAll(`[data-testid="${id}"] tbody tr`)].map((tr) => ({
        hour: tr.getAttribute('data-hour'),
        decision: tr.getAttribute('data-decision'),
        state: tr.getAttribute('data-state'),
        cells: [...tr.children].map((c) => c.textContent.trim()),
      })),
    testid,
  );

/** The latest "dashboard" measure (start of loading to drawn charts), or null. */
const renderMeasure = () =>
  browser.execute(() => {
    const e = performance.getEntriesByName('dashboard').at(-1);
    return e ? { start: e.startTime, duration: e.duration } : null;
  });

test('two reviews are published with p in the review queue', () =>
  explained(browser, 'dashboard-decide', async () => {
    await browser.waitUntil(async () => (await browser.$$('[data-testid="review-row"]')).length > 0, {
      timeout: 20000,
      timeoutMsg: 'no reviews arrived from the server',
    });
    await browser.waitUntil(async () => (await count('pending')) >= 3, { timeout: 10000 });
    decidedFrom = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    for (let i = 1; i <= 2; i++) {
      const before = await count('pending');
      await browser.keys('p');
      await browser.waitUntil(async () => (await count('pending')) === before - 1, {
        timeout: 5000,
        timeoutMsg: `decision ${i} did not land`,
      });
    }
  }));

test('Shift+O opens the dashboard with the decisions in its figures and charts', () =>
  explained(browser, 'dashboard-open', async () => {
    assert.equal(await browser.$('[data-testid="view-dashboard"]').getAttribute('title'), 'Shift+O');
    await browser.keys([Key.Shift, 'O']);
    await browser.$('[data-testid="dashboard"]').waitForExist({ timeout: 5000, timeoutMsg: 'Shift+O did not open it' });
    assert.equal(await browser.$('[data-testid="view-dashboard"]').getAttribute('aria-pressed'), 'true');
    await browser.waitUntil(async () => (await renderMeasure()) !== null, {
      timeout: 15000,
      timeoutMsg: 'no "dashboard" measure: the charts were not drawn',
    });

    // Throughput: 24 hours, the two decisions in the hours since they were made.
    const hours = await tableRows('table-throughput');
    assert.equal(hours.length, 24, `24 hours: ${JSON.stringify(hours)}`);
    const recent = hours
      .filter((r) => Date.parse(r.hour) >= decidedFrom)
      .reduce((sum, r) => sum + Number(r.cells[1]), 0);
    assert.ok(recent >= 2, `at least 2 decisions in the current hour: ${JSON.stringify(hours.slice(-2))}`);
    const total = Number(await browser.$('[data-testid="throughput-total"]').getProperty('textContent'));
    assert.ok(total >= 2, `the 24-hour total counts them: ${total}`);

    // Decisions by stars: a "publish" row, its five star columns adding up to its total.
    const decisions = await tableRows('table-decisions');
    const publish = decisions.find((r) => r.decision === 'publish');
    assert.ok(publish, `a publish row: ${JSON.stringify(decisions)}`);
    assert.equal(publish.cells[0], 'Published');
    const byStars = publish.cells.slice(1, 6).map(Number);
    assert.ok(byStars.every(Number.isInteger), `numbers per star: ${publish.cells}`);
    assert.equal(byStars.reduce((a, b) => a + b, 0), Number(publish.cells[6]));
    assert.ok(Number(publish.cells[6]) >= 2, `both decisions counted: ${publish.cells}`);

    // The charts are SVG (no canvas), described for screen readers.
    for (const id of ['chart-throughput', 'chart-decisions']) {
      const chart = browser.$(`[data-testid="${id}"]`);
      assert.ok(await chart.$('svg').isExisting(), `${id} drew an <svg>`);
      assert.match(String(await chart.getAttribute('aria-label')), /bar chart/i, `${id} is described`);
    }
    assert.match(
      await browser.$('[data-testid="fresh-local"]').getText(),
      /^Local figures as of \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
    assert.match(
      await browser.$('[data-testid="fresh-team"]').getText(),
      /^Team figures (fetched .+ ago|not fetched yet — sync while online)/,
    );

    const measure = await renderMeasure();
    assert.ok(Number.isFinite(measure.duration) && measure.duration > 0, JSON.stringify(measure));
    console.log(`dashboard: data loaded and charts drawn in ${measure.duration.toFixed(0)} ms`);
    await screenshot(browser, 'dashboard');
  }));

test('after a sync the team figures show with their age, agreement and bias guard', () =>
  explained(browser, 'dashboard-team', async () => {
    await browser.$('[data-testid="sync-now"]').click();
    const fresh = browser.$('[data-testid="fresh-team"]');
    await browser.waitUntil(async () => /^Team figures fetched .+ ago/.test(await fresh.getText()), {
      timeout: 20000,
      timeoutMsg: 'the team figures did not arrive with the sync',
    });
    const agreement = await tableRows('table-agreement');
    assert.equal(agreement[0]?.cells[0], 'Team', JSON.stringify(agreement));
    // The seeded team's second opinions are enough for a kappa.
    assert.match(agreement[0].cells.join(' '), /\d\.\d\d/, `a kappa for the team: ${agreement[0].cells}`);
    const bias = await tableRows('table-bias');
    assert.ok(bias.length >= 1, 'the bias guard has the team row');
    for (const r of bias) assert.ok(['fair', 'too_few', 'warning'].includes(r.state), r.state);
    // A warning is shown prominently exactly when a figure is in the warning state.
    assert.equal(
      await browser.$('[data-testid="bias-warning"]').isExisting(),
      bias.some((r) => r.state === 'warning'),
    );
  }));

test('r reloads the figures, Esc and Shift+R leave the dashboard', () =>
  explained(browser, 'dashboard-keys', async () => {
    // A sync's refresh may be under way (it clears the measure until drawn).
    let first = null;
    await browser.waitUntil(async () => (first = await renderMeasure()) !== null, { timeout: 10000 });
    await browser.keys('r');
    // kept from the poll: a sync's refresh may clear the measure right after
    let reloaded = null;
    await browser.waitUntil(async () => {
      const m = await renderMeasure();
      if (m !== null && m.start !== first.start) reloaded = m;
      return reloaded !== null;
    }, {
      timeout: 10000,
      timeoutMsg: 'r did not reload the dashboard',
    });
    console.log(`dashboard: reloaded in ${reloaded.duration.toFixed(0)} ms`);

    await browser.keys('Escape');
    await browser.$('[data-testid="dashboard"]').waitForExist({ reverse: true, timeout: 3000 });
    assert.equal(await browser.$('[data-testid="view-reviews"]').getAttribute('aria-pressed'), 'true');

    await browser.keys([Key.Shift, 'O']);
    await browser.$('[data-testid="dashboard"]').waitForExist({ timeout: 5000 });
    await browser.keys([Key.Shift, 'R']);
    await browser.$('[data-testid="dashboard"]').waitForExist({ reverse: true, timeout: 3000 });
    assert.equal(await browser.$('[data-testid="view-reviews"]').getAttribute('aria-pressed'), 'true');
  }));

test('the strict CSP holds with the charts: no violations', async () => {
  const violations = await browser.execute(() => window.__cspViolations);
  assert.deepEqual(violations, []);
});
