// Component tests in Debian's Chromium (headless, through playwright-core)
// against the Vite build of component-tests/index.html. The page talks to a test
// transport (harness.ts); the real app uses Tauri IPC. Run: npm run test:components
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(fileURLToPath(new URL('../dist-component-tests', import.meta.url)));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Per wait; generous, as the machine may be busy building.
const TIMEOUT = 10_000;
// Per test, so a hung browser fails the run instead of stalling it.
const TEST = { timeout: 60_000 };

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** Serves the build on loopback; `requests` lists every path asked for. */
async function serve(root) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
    try {
      const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)));
      if (!file.startsWith(root + path.sep)) return res.writeHead(403).end();
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

let server;
let browser;

before(async () => {
  await readFile(path.join(ROOT, 'component-tests/index.html')).catch(() => {
    throw new Error(`no build in ${ROOT}: run "npm run test:components"`);
  });
  server = await serve(ROOT);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true }).catch((e) => {
    throw new Error(`cannot start ${CHROMIUM} (apt-get install chromium, or set CHROMIUM): ${e.message}`);
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Opens `scenario` in a fresh context, runs `body`, then fails the test if the
 * page threw, logged an error, or asked the transport for a command it lacks.
 */
async function withPage(scenario, body) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const problems = [];
  // Nothing leaves loopback.
  await context.route(
    (url) => !url.href.startsWith(server.origin),
    (route) => {
      problems.push(`external request ${route.request().url()}`);
      return route.abort();
    },
  );
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  try {
    await page.goto(`${server.origin}/component-tests/index.html?scenario=${scenario}`);
    await body(page);
    const unmocked = await page.evaluate(() => window.__test.unmocked);
    assert.deepEqual(unmocked, [], 'the UI called commands the test transport does not answer');
    assert.deepEqual(problems, [], 'the page reported errors');
  } finally {
    await context.close();
  }
}

/** Waits for `fn` in the page to be truthy, naming `what` on timeout. */
async function until(page, what, fn, arg) {
  try {
    return await page.waitForFunction(fn, arg, { timeout: TIMEOUT });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}`);
  }
}

const text = (page, selector) => page.locator(selector).first().textContent();

/** The offsets list_reviews was asked for, in order. */
const pageOffsets = (page) =>
  page.evaluate(() => window.__test.calls.filter((c) => c.cmd === 'list_reviews').map((c) => c.args.query.offset));

describe('review queue (App with 5,000 rows)', () => {
  test('renders only a window of rows, moves with j/k and loads pages as it scrolls', TEST, async () => {
    await withPage('queue', async (page) => {
      await until(page, 'the first page', () => document.querySelector('[data-testid=range]')?.textContent?.trim() === '1 of 5000');

      // Virtualised: the scroll extent covers all rows, the DOM holds a few.
      const dom = await page.evaluate(() => ({
        rows: document.querySelectorAll('[data-testid=review-row]').length,
        height: document.querySelector('[data-testid=review-list] > div')?.getBoundingClientRect().height,
      }));
      assert.ok(dom.rows > 5 && dom.rows <= 60, `${dom.rows} rows in the DOM`);
      assert.equal(dom.height, 5000 * 72);
      assert.deepEqual(await pageOffsets(page), [0], 'only the first page is fetched at start');
      for (const c of await page.evaluate(() => window.__test.calls.filter((c) => c.cmd === 'list_reviews')))
        assert.equal(c.args.query.limit, 100);

      const selected = () =>
        page.evaluate(() => {
          const rows = document.querySelectorAll('[data-testid=review-row][aria-selected=true]');
          return [...rows].map((r) => `${r.id}:${r.getAttribute('data-review-id')}`);
        });
      assert.deepEqual(await selected(), ['row-0:r-00000']);

      await page.locator('[data-testid=review-list]').focus();
      for (let i = 0; i < 3; i += 1) await page.keyboard.press('j');
      await until(page, 'selection on row 4', () => document.querySelector('[data-testid=range]')?.textContent?.trim() === '4 of 5000');
      assert.deepEqual(await selected(), ['row-3:r-00003']);
      await until(page, 'the detail of row 3', () => document.querySelector('[data-testid=detail-text]')?.textContent === 'Fixture review number 3');
      await page.keyboard.press('k');
      await until(page, 'selection on row 3', () => document.querySelector('[data-testid=range]')?.textContent?.trim() === '3 of 5000');
      assert.deepEqual(await selected(), ['row-2:r-00002']);
      assert.equal(
        await page.locator('[data-testid=review-list]').getAttribute('aria-activedescendant'),
        'row-2',
      );

      // Past the first page by keyboard: page 2 loads and the row scrolls into view.
      for (let i = 0; i < 10; i += 1) await page.keyboard.press('PageDown');
      await until(page, 'row 102 selected and loaded', () => document.querySelector('[data-testid=detail-text]')?.textContent === 'Fixture review number 102');
      assert.deepEqual(await selected(), ['row-102:r-00102']);
      const inView = await page.evaluate(() => {
        const list = document.querySelector('[data-testid=review-list]').getBoundingClientRect();
        const row = document.getElementById('row-102').getBoundingClientRect();
        // 1px slack: the list's top sits on a half pixel, its scrollTop is whole.
        return row.top >= list.top - 1 && row.bottom <= list.bottom + 1;
      });
      assert.ok(inView, 'the selected row is scrolled into view');
      assert.ok((await pageOffsets(page)).includes(100));

      // Scrolling far fetches the pages on screen, not the ones skipped over.
      await page.evaluate(() => (document.querySelector('[data-testid=review-list]').scrollTop = 4000 * 72));
      await until(page, 'row 4000 rendered', () => document.querySelector('[data-review-id="r-04000"] [data-testid=review-text]')?.textContent === 'Fixture review number 4000');
      const offsets = await pageOffsets(page);
      assert.ok(offsets.includes(4000), `offsets ${offsets}`);
      assert.ok(offsets.every((o) => o <= 100 || o >= 3900), `fetched skipped pages: ${offsets}`);
      assert.equal(new Set(offsets).size, offsets.length, `a page was fetched twice: ${offsets}`);
      const rows = await page.locator('[data-testid=review-row]').count();
      assert.ok(rows <= 60, `${rows} rows in the DOM after scrolling`);
      assert.equal(await text(page, '[data-testid=range]'), '103 of 5000', 'scrolling keeps the selection');
      // The selected row is no longer rendered, so no active descendant may name it.
      const active = await page.locator('[data-testid=review-list]').getAttribute('aria-activedescendant');
      assert.ok(active === null || (await page.locator(`#${active}`).count()) === 1, `active descendant ${active} is not in the DOM`);
      assert.equal(await page.locator('[data-review-id="r-04000"]').getAttribute('aria-posinset'), '4001');
      assert.equal(await page.locator('[data-review-id="r-04000"]').getAttribute('aria-setsize'), '5000');

      await page.evaluate(() => {
        const list = document.querySelector('[data-testid=review-list]');
        list.scrollTop = list.scrollHeight;
      });
      await until(page, 'the last row rendered', () => document.querySelector('[data-review-id="r-04999"]') !== null);
      assert.ok((await pageOffsets(page)).includes(4900));
    });
  });
});

// The same strings as fixtures.ts HOSTILE: the expectation is written out here
// so a changed fixture cannot make the test pass vacuously.
const HOSTILE = {
  img: '<img src=x onerror="window.__pwned=\'img\'">',
  script: '<script>window.__pwned = "script"</script>',
  link: '<a href="javascript:window.__pwned=\'link\'">click me</a>',
  svg: '<svg onload="window.__pwned=\'svg\'"></svg> &amp; &lt;b&gt;',
};
const EXPECTED_ROWS = [
  { text: `${HOSTILE.img} ${HOSTILE.script}`, shop: HOSTILE.link },
  { text: HOSTILE.script, shop: HOSTILE.img },
  { text: HOSTILE.link, shop: HOSTILE.svg },
  { text: HOSTILE.svg, shop: 'Fixture Shop' },
];

describe('hostile review text', () => {
  test('markup in texts, shop names, hits and refusals shows as text and never runs', TEST, async () => {
    await withPage('hostile', async (page) => {
      await until(page, 'four rows', () => document.querySelectorAll('[data-testid=review-text]').length === 4);
      const markup = () =>
        page.evaluate(
          () =>
            document.querySelectorAll(
              '#app :is(img, script, a, svg, iframe, object, embed, b), #app [onerror], #app [onload], #app [href]',
            ).length,
        );

      const list = await page.evaluate(() =>
        [...document.querySelectorAll('[data-testid=review-row]')].map((r) => ({
          text: r.querySelector('[data-testid=review-text]')?.textContent,
          shop: r.querySelector('.shop')?.textContent,
        })),
      );
      assert.deepEqual(list, EXPECTED_ROWS);

      await page.locator('[data-testid=review-list]').focus();
      for (const [i, expected] of EXPECTED_ROWS.entries()) {
        await until(page, `row ${i} selected`, (id) => document.querySelector('[aria-selected=true]')?.getAttribute('data-review-id') === id, `r-0000${i}`);
        assert.equal(await markup(), 0, `markup elements created for row ${i}`);
        assert.equal(await page.evaluate(() => window.__pwned), undefined, `row ${i} ran code`);
        assert.equal(await text(page, '[data-testid=detail-text]'), expected.text);
        assert.equal(await text(page, '[data-testid=review-detail] header strong'), expected.shop);
        const hit = page.locator('mark[data-testid=hit]').first();
        assert.equal(await hit.getAttribute('title'), `Insult or racist statement (test.hostile): ${HOSTILE.script}`);
        if (i === 0) {
          assert.equal(await hit.textContent(), 'onerror');
          assert.equal(await text(page, '[data-testid=attention] span'), HOSTILE.img);
          assert.match(await text(page, '[data-testid=attention] strong'), /bad<b>/);
          assert.match(await text(page, '[data-testid=hit-list] li'), /“onerror” — <script>window\.__pwned = "script"<\/script>/);
        }
        await page.keyboard.press('j');
      }

      // Give a stray handler time to fire before looking for its effects.
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(await markup(), 0);
      assert.ok(!server.requests.some((p) => p === '/x' || p.endsWith('/x')), 'an <img src=x> was requested');
    });
  });
});

describe('ReviewDetail highlights', () => {
  const TEXT =
    'Na\u0308chstes Mal 👩‍👩‍👧 nie wieder 👍🏽! Der Verka\u0308ufer ist ein 𝔡𝔲𝔪𝔪𝔢𝔯 Betru\u0308ger. ' +
    'Konto DE89 3704 0044 0532 0130 00, ruft mich an 😡';

  test('UTF-16 spans over emoji, astral letters and combining marks mark exactly their words', TEST, async () => {
    await withPage('highlight', async (page) => {
      await until(page, 'the detail', () => document.querySelector('[data-testid=detail-text]') !== null);
      const got = await page.evaluate(() => {
        const p = document.querySelector('[data-testid=detail-text]');
        const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
        const pieces = [...p.childNodes].map((n) => n.textContent ?? '');
        return {
          text: p.textContent,
          marks: [...p.querySelectorAll('mark[data-testid=hit]')].map((m) => ({ text: m.textContent, title: m.title })),
          split: pieces.filter((s) => lone.test(s)),
          hits: document.querySelectorAll('[data-testid=hit-list] li').length,
        };
      });
      assert.equal(got.text, TEXT, 'the text is shown whole, nothing lost or doubled');
      assert.deepEqual(
        got.marks.map((m) => m.text),
        ['👩‍👩‍👧 nie', '𝔡𝔲𝔪𝔪𝔢𝔯', 'Betru\u0308ger', 'Konto DE89 3704 0044 0532 0130 00'],
      );
      assert.deepEqual(got.split, [], 'a surrogate pair was cut in two');
      // Overlapping hits make one run that names both.
      const account = got.marks[3].title.split('\n');
      assert.equal(account.length, 2);
      assert.ok(account.some((l) => l.includes('(de.bank.0001)')) && account.some((l) => l.includes('(de.personal.0001)')));
      assert.match(got.marks[1].title, /^Insult or racist statement \(de\.insult\.0001\): matched by de\.insult\.0001$/);
      assert.equal(got.hits, 5, 'the hit list explains exactly the highlighted hits, not the stale one');
    });
  });
});

describe('evidence files on a review', () => {
  test('images show from the local cache, PDFs and missing files are named, names stay text', TEST, async () => {
    await withPage('evidence', async (page) => {
      await until(page, 'the image', () => document.querySelector('[data-testid=attachment-image]')?.complete);
      const got = await page.evaluate(() => {
        const items = [...document.querySelectorAll('[data-testid=attachment]')];
        return {
          heading: document.querySelector('[data-testid=attachments] h3')?.textContent,
          names: items.map((li) => li.querySelector('[data-testid=attachment-name]')?.textContent),
          metas: items.map((li) => li.querySelector('.meta')?.textContent),
          images: [...document.querySelectorAll('[data-testid=attachment-image]')].map((i) => ({
            src: i.getAttribute('src'),
            width: i.naturalWidth,
          })),
          saves: items.map((li) => li.querySelector('[data-testid=attachment-save]') !== null),
          pwned: window.__pwned,
        };
      });
      assert.equal(got.heading, 'Evidence from the reviewer (3)');
      assert.deepEqual(got.names, ['<img src=x onerror="window.__pwned=\'file\'">.png', 'Rechnung.pdf', 'foto.jpg']);
      assert.equal(got.images.length, 1, 'only the image is drawn');
      assert.match(got.images[0].src, /^blob:/);
      assert.equal(got.images[0].width, 1, 'the cached bytes decode as the image');
      assert.match(got.metas[1], /PDF: save a copy/);
      assert.match(got.metas[2], /not on this workstation yet/);
      assert.deepEqual(got.saves, [true, true, false], 'a file not cached cannot be saved');
      assert.equal(got.pwned, undefined);

      await page.locator('[data-testid=attachment-save]').nth(1).click();
      await until(page, 'the notice', () => window.__test.notices.length === 1);
      const calls = await page.evaluate(() => window.__test.calls.filter((c) => c.cmd === 'save_review_evidence').map((c) => c.args));
      assert.deepEqual(calls, [{ reviewId: 'r-00011', sha256: 'b'.repeat(64) }]);
      assert.match(await page.evaluate(() => window.__test.notices[0]), /evidence-bbbbbbbb\.pdf/);
    });
  });
});

describe('language switcher', () => {
  test('turns labels, numbers and dates German, then Dutch, and keeps the choice', TEST, async () => {
    await withPage('queue', async (page) => {
      await until(page, 'the queue', () => document.querySelector('[data-testid=range]')?.textContent?.trim() === '1 of 5000');
      await until(page, 'the detail', () => document.querySelector('[data-testid=detail-text]') !== null);
      const labels = () =>
        page.evaluate(() => {
          const q = (s) => document.querySelector(s);
          return {
            lang: document.documentElement.lang,
            pending: q('[data-testid=tab-pending]')?.textContent?.trim(),
            published: q('[data-testid=tab-published]')?.textContent?.trim(),
            disputes: q('[data-testid=view-disputes]')?.textContent?.trim(),
            range: q('[data-testid=range]')?.textContent?.trim(),
            search: q('[data-testid=search]')?.getAttribute('placeholder'),
            list: q('[data-testid=review-list]')?.getAttribute('aria-label'),
            date: q('[data-testid=review-row] .date')?.textContent,
            publish: q('[data-testid=review-detail] [role=toolbar] button')?.textContent?.trim(),
          };
        });
      assert.deepEqual(await labels(), {
        lang: 'en',
        pending: 'Pending 5000',
        published: 'Published 1234',
        disputes: 'Disputes',
        range: '1 of 5000',
        search: 'Search texts  ( / )',
        list: 'Review queue',
        date: '2026-11-26',
        publish: 'p Publish',
      });

      await page.selectOption('[data-testid=locale-switcher]', 'de');
      await until(page, 'German', () => document.documentElement.lang === 'de');
      assert.deepEqual(await labels(), {
        lang: 'de',
        pending: 'Offen 5.000',
        published: 'Veröffentlicht 1.234',
        disputes: 'Streitfälle',
        range: '1 von 5.000',
        search: 'Texte durchsuchen  ( / )',
        list: 'Warteschlange der Bewertungen',
        date: '26.11.2026',
        publish: 'p Veröffentlichen',
      });

      await page.selectOption('[data-testid=locale-switcher]', 'nl');
      await until(page, 'Dutch', () => document.documentElement.lang === 'nl');
      const dutch = {
        lang: 'nl',
        pending: 'Open 5.000',
        published: 'Gepubliceerd 1.234',
        disputes: 'Geschillen',
        range: '1 van 5.000',
        search: 'Teksten doorzoeken  ( / )',
        list: 'Wachtrij van reviews',
        date: '26-11-2026',
        publish: 'p Publiceren',
      };
      assert.deepEqual(await labels(), dutch);
      // The backend is told, so texts it makes (checklists) follow.
      const told = await page.evaluate(() =>
        window.__test.calls.filter((c) => c.cmd === 'set_ui_language').map((c) => c.args.language),
      );
      assert.deepEqual(told.slice(-2), ['de', 'nl']);

      await page.reload();
      await until(page, 'the queue after reload', () => document.querySelector('[data-testid=range]')?.textContent?.trim() === '1 van 5.000');
      await until(page, 'the detail after reload', () => document.querySelector('[data-testid=detail-text]') !== null);
      assert.deepEqual(await labels(), dutch, 'the choice survives a restart');
      assert.equal(await page.locator('[data-testid=locale-switcher]').inputValue(), 'nl');
    });
  });
});
