// Entry page of the component tests (built by vite.component.config.ts, driven
// by components.test.mjs). Installs a TEST TRANSPORT behind the app's backend
// interface -- the real app uses Tauri IPC to the Rust core -- then mounts what
// `?scenario=` names. Only the transport is fake: the components, api.ts and
// @tauri-apps/api are the ones the app ships.
import './freeze-prototype';
import { mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import type { InvokeArgs } from '@tauri-apps/api/core';
import { mount } from 'svelte';
import App from '../src/App.svelte';
import ReviewDetail from '../src/components/ReviewDetail.svelte';
import '../src/app.css';
import { initLocale } from '../src/lib/i18n.svelte';
import type { ReviewListQuery } from '../src/lib/bindings/ReviewListQuery';
import type { ReviewPage } from '../src/lib/bindings/ReviewPage';
import type { ReviewRow } from '../src/lib/bindings/ReviewRow';
import type { StateCount } from '../src/lib/bindings/StateCount';
import {
  evidenceBytes,
  evidenceRow,
  highlightRow,
  hostileRows,
  reviewContext,
  row,
  session,
  shops,
  storeInfo,
  syncStatus,
} from './fixtures';

type Call = { cmd: string; args: unknown };

declare global {
  interface Window {
    /** What the test reads back: every command the UI sent, and those the fake does not know. */
    __test: { scenario: string; calls: Call[]; unmocked: string[]; notices: string[] };
    /** Set only if a hostile fixture ever ran as code. */
    __pwned?: string;
  }
}

const scenario = new URLSearchParams(location.search).get('scenario') ?? 'queue';
const QUEUE_SIZE = 5000;

// The rows list_reviews pages through: a fixed list, or QUEUE_SIZE made on demand
// (so 5,000 rows never exist at once, as with the real store).
const fixed: ReviewRow[] | null = scenario === 'hostile' ? hostileRows() : null;
const total = fixed ? fixed.length : QUEUE_SIZE;

function page(q: ReviewListQuery): ReviewPage {
  const end = Math.min(total, q.offset + q.limit);
  const items: ReviewRow[] = [];
  for (let i = q.offset; i < end; i += 1) items.push(fixed ? fixed[i]! : row(i));
  return { items, total };
}

const counts: StateCount[] = [
  { state: 'pending', count: total },
  { state: 'published', count: 1234 },
];

function backend(cmd: string, args: InvokeArgs | undefined): unknown {
  const a = (args ?? {}) as Record<string, unknown>;
  switch (cmd) {
    case 'store_info':
      return storeInfo;
    case 'list_shops':
      return shops;
    case 'session_info':
      return session;
    case 'sync_status':
      return syncStatus;
    case 'set_ui_language':
      return null;
    case 'queue_counts':
      return counts;
    case 'list_reviews':
      return page(a.query as ReviewListQuery);
    case 'review_context':
      return reviewContext;
    case 'evidence_file': {
      const bytes = evidenceBytes(a.sha256 as string);
      if (bytes) return bytes;
      throw { code: 'not_found', message: 'this file is not on this workstation yet' };
    }
    case 'save_review_evidence':
      return { path: `/data/reports/evidence-${(a.sha256 as string).slice(0, 8)}.pdf` };
  }
  window.__test.unmocked.push(cmd);
  console.error(`[test transport] unmocked command ${cmd}`);
  throw { code: 'test', message: `unmocked command ${cmd}` };
}

window.__test = { scenario, calls: [], unmocked: [], notices: [] };
mockWindows('main');
mockIPC(
  (cmd, args) => {
    window.__test.calls.push({ cmd, args });
    return backend(cmd, args);
  },
  // listen()/emit() go through the fake too (App listens for queue-changed).
  { shouldMockEvents: true },
);

initLocale();
const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
const noop = () => {};
if (scenario === 'highlight' || scenario === 'evidence') {
  mount(ReviewDetail, {
    target,
    props: {
      review: scenario === 'evidence' ? evidenceRow() : highlightRow(),
      onnotice: (text: string) => window.__test.notices.push(text),
      onpublish: noop,
      onreject: noop,
      onevidence: noop,
      onaccept: noop,
      onrefuse: noop,
      onundo: noop,
      onresolve: noop,
    },
  });
} else {
  mount(App, { target });
}
