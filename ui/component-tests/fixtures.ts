// Fixture data for the component tests, typed against the Rust bindings so a
// changed IPC type breaks `npm run check` here too.
import type { ArmCategory } from '../src/lib/bindings/ArmCategory';
import type { ArmHit } from '../src/lib/bindings/ArmHit';
import type { ReviewContext } from '../src/lib/bindings/ReviewContext';
import type { ReviewRow } from '../src/lib/bindings/ReviewRow';
import type { SessionInfo } from '../src/lib/bindings/SessionInfo';
import type { ShopOption } from '../src/lib/bindings/ShopOption';
import type { StoreInfo } from '../src/lib/bindings/StoreInfo';
import type { SyncStatus } from '../src/lib/bindings/SyncStatus';

export function row(index: number, patch: Partial<ReviewRow> = {}): ReviewRow {
  return {
    id: `r-${String(index).padStart(5, '0')}`,
    claimed: false,
    shop_id: 'shop-1',
    shop_name: 'Fixture Shop',
    shop_industries: ['general'],
    shop_arm_enabled: true,
    stars: (index % 5) + 1,
    text: `Fixture review number ${index}`,
    language: 'de',
    source: 'invitation',
    submitted_at: '2026-11-26T10:00:00Z',
    experience_date: '2026-11-20',
    experience_check: { result: 'ok' },
    server_status: { state: 'pending' },
    status: { state: 'pending' },
    pending_decisions: 0,
    undoable_decision: null,
    allowed_reasons: ['insult', 'personal_data'],
    hits: [],
    suggested_reason: null,
    illegal_reasons: [],
    attention: null,
    flags: { shop_flag: null, fake_signals: [], evidence_files: [] },
    ...patch,
  };
}

/** A hit on the first occurrence of `needle`: byte offsets as Rust reports them,
 * UTF-16 offsets as JavaScript indexes strings (they differ after non-ASCII). */
export function hitOn(text: string, needle: string, category: ArmCategory, rule: string): ArmHit {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`fixture: "${needle}" not in text`);
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  return {
    category,
    rule,
    start: bytes(text.slice(0, at)),
    end: bytes(text.slice(0, at + needle.length)),
    start_utf16: at,
    end_utf16: at + needle.length,
    text: needle,
    explanation: `matched by ${rule}`,
  };
}

export const storeInfo: StoreInfo = { path: '/fixture/store.db', review_count: 5000, user: 'local:tester' };

export const shops: ShopOption[] = [{ id: 'shop-1', name: 'Fixture Shop' }];

export const session: SessionInfo = {
  signed_in: false,
  server: null,
  user: null,
  role: null,
  has_local_data: true,
};

export const syncStatus: SyncStatus = {
  signed_in: false,
  server: null,
  user: null,
  role: null,
  online: null,
  phase: 'idle',
  last_success: null,
  last_error: null,
  pending_decisions: 0,
  conflicts: 0,
  pulled: 0,
  pushed: 0,
  pull_done: null,
  pull_total: null,
  retry_in_seconds: null,
};

export const reviewContext: ReviewContext = {
  shop_rating: { average_hundredths: 449, label: 'good', counted: 12, imported_excluded: 0 },
  reviewer_history: [],
  complaints: [],
};

// Hostile texts: each must show as the literal characters, never as markup.
export const HOSTILE = {
  img: '<img src=x onerror="window.__pwned=\'img\'">',
  script: '<script>window.__pwned = "script"</script>',
  link: '<a href="javascript:window.__pwned=\'link\'">click me</a>',
  svg: '<svg onload="window.__pwned=\'svg\'"></svg> &amp; &lt;b&gt;',
} as const;

export function hostileRows(): ReviewRow[] {
  const attention = { kind: 'refused', code: 'bad<b>', message: HOSTILE.img } as const;
  return [
    row(0, {
      text: `${HOSTILE.img} ${HOSTILE.script}`,
      shop_name: HOSTILE.link,
      hits: [],
      attention,
      undoable_decision: 'd-1',
    }),
    row(1, { text: HOSTILE.script, shop_name: HOSTILE.img }),
    row(2, { text: HOSTILE.link, shop_name: HOSTILE.svg }),
    row(3, { text: HOSTILE.svg }),
  ].map((r) => {
    // A hit inside the markup, so the highlighting path sees it too.
    const i = r.text.indexOf('onerror') >= 0 ? 'onerror' : r.text.slice(1, 4);
    return { ...r, hits: [{ ...hitOn(r.text, i, 'insult', 'test.hostile'), explanation: HOSTILE.script }] };
  });
}

// Astral emoji (a ZWJ family, a skin tone), mathematical letters outside the
// BMP and combining diacritics (u + U+0308): UTF-16 offsets differ from code
// points and bytes here, so any other indexing highlights the wrong text.
export const HIGHLIGHT_TEXT =
  'Na\u0308chstes Mal 👩‍👩‍👧 nie wieder 👍🏽! Der Verka\u0308ufer ist ein 𝔡𝔲𝔪𝔪𝔢𝔯 Betru\u0308ger. ' +
  'Konto DE89 3704 0044 0532 0130 00, ruft mich an 😡';

export const HIGHLIGHTS = {
  family: '👩‍👩‍👧 nie',
  fraktur: '𝔡𝔲𝔪𝔪𝔢𝔯',
  cheat: 'Betru\u0308ger',
  account: 'Konto DE89 3704 0044 0532 0130 00',
  iban: 'DE89 3704 0044 0532 0130 00',
} as const;

export function highlightRow(): ReviewRow {
  const text = HIGHLIGHT_TEXT;
  const hits = [
    hitOn(text, HIGHLIGHTS.cheat, 'insult', 'de.insult.0002'),
    hitOn(text, HIGHLIGHTS.family, 'insult', 'test.family'),
    hitOn(text, HIGHLIGHTS.fraktur, 'insult', 'de.insult.0001'),
    // Two overlapping hits: one highlighted run carrying both.
    hitOn(text, HIGHLIGHTS.iban, 'bank_details', 'de.bank.0001'),
    hitOn(text, HIGHLIGHTS.account, 'personal_data', 'de.personal.0001'),
    // Out of range (stale spans): must be ignored, not crash or cut the text.
    { ...hitOn(text, 'ruft', 'insult', 'test.stale'), start_utf16: text.length - 1, end_utf16: text.length + 5 },
  ];
  return row(7, { text, hits, language: 'de' });
}

/** Files a reviewer sent: an image, a PDF, and one not synced to this workstation. */
export const EVIDENCE = {
  png: { sha256: 'a'.repeat(64), name: '<img src=x onerror="window.__pwned=\'file\'">.png' },
  pdf: { sha256: 'b'.repeat(64), name: 'Rechnung.pdf' },
  missing: { sha256: 'c'.repeat(64), name: 'foto.jpg' },
};

// A 1x1 PNG, so the <img> really decodes.
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The bytes `evidence_file` serves from the "cache"; `undefined` when not cached. */
export function evidenceBytes(sha256: string): ArrayBuffer | undefined {
  if (sha256 === EVIDENCE.png.sha256) return Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)).buffer;
  if (sha256 === EVIDENCE.pdf.sha256) return new TextEncoder().encode('%PDF-1.4\n%test\n').buffer;
  return undefined;
}

export function evidenceRow(): ReviewRow {
  const received_at = '2026-11-20T10:00:00Z';
  return row(11, {
    status: { state: 'evidence_received' },
    flags: {
      shop_flag: null,
      fake_signals: [],
      evidence_files: [EVIDENCE.png, EVIDENCE.pdf, EVIDENCE.missing].map((f) => ({ ...f, received_at })),
    },
  });
}
