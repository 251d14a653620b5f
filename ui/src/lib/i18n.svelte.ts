// The UI's languages: three flat message catalogues, `{name}` placeholders,
// plurals through Intl.PluralRules, and number formatting by locale. Written
// here instead of a dependency because this is all the app needs. The locale is
// $state, so every template that calls `t` re-renders when it changes.
import { de } from './locales/de';
import { en, type MessageKey } from './locales/en';
import { nl } from './locales/nl';

export type { MessageKey };

export const LOCALES = ['en', 'de', 'nl'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language named in itself, as the switcher lists them. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch', nl: 'Nederlands' };

export const STORAGE_KEY = 'trustdesk.locale';

export type Catalogue = Record<MessageKey, string>;
export const CATALOGUES: Record<Locale, Catalogue> = { en, de, nl };

export type Params = Record<string, string | number>;

/** Stems of the keys that come as `#one` / `#other` forms; see `tn`. */
export type PluralKey = { [K in MessageKey]: K extends `${infer B}#other` ? B : never }[MessageKey];

// English by default: the module is also loaded by the unit tests, which must
// not depend on the machine's language. `initLocale` picks the real one.
const current = $state<{ locale: Locale }>({ locale: 'en' });

export function getLocale(): Locale {
  return current.locale;
}

export function isLocale(x: unknown): x is Locale {
  return typeof x === 'string' && (LOCALES as readonly string[]).includes(x);
}

/** The saved choice if valid, else German or Dutch by the system language, else English. */
export function detectLocale(saved: string | null | undefined, systemLanguage: string | null | undefined): Locale {
  if (isLocale(saved)) return saved;
  const lang = (systemLanguage ?? '').toLowerCase();
  if (lang.startsWith('de')) return 'de';
  if (lang.startsWith('nl')) return 'nl';
  return 'en';
}

function apply(l: Locale) {
  current.locale = l;
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

/** At start-up: the saved choice, else the system language. */
export function initLocale(): Locale {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // No storage (private mode, tests): fall back to the system language.
  }
  const l = detectLocale(saved, typeof navigator === 'undefined' ? null : navigator.language);
  apply(l);
  return l;
}

/** Switches the UI language at once and remembers it for the next start. */
export function setLocale(l: Locale, persist = true) {
  apply(l);
  if (!persist) return;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // The choice holds for this session only.
  }
}

// ---------------------------------------------------------------------------
// Numbers

// English keeps the plain forms the app has always shown (no digit grouping,
// "4.49"): people and the end-to-end tests read them. German and Dutch group
// digits and use a decimal comma, as Intl does for them.
const GROUPING: Record<Locale, boolean> = { en: false, de: true, nl: true };
// Caches of Intl objects (costly to build); never read by a template.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const numberFormats = new Map<string, Intl.NumberFormat>();

export function formatNumber(n: number, options: Intl.NumberFormatOptions = {}, l: Locale = current.locale): string {
  const key = `${l}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(l, { useGrouping: GROUPING[l], ...options });
    numberFormats.set(key, f);
  }
  return f.format(n);
}

/** A number with exactly `digits` decimals: "0.72" / "0,72". */
export function formatFixed(n: number, digits: number, l: Locale = current.locale): string {
  // toFixed in English: byte-for-byte what the app showed before (Intl rounds
  // some halves differently).
  if (l === 'en') return n.toFixed(digits);
  return formatNumber(n, { minimumFractionDigits: digits, maximumFractionDigits: digits }, l);
}

/**
 * A label used inside a sentence ("Rejected: personal data"): English and Dutch
 * lower-case it, German keeps its nouns capitalised.
 */
export function inSentence(label: string, l: Locale = current.locale): string {
  return l === 'de' ? label : label.toLowerCase();
}

// ---------------------------------------------------------------------------
// Messages

function fill(template: string, params: Params | undefined, l: Locale): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) return whole;
    const v = params[name];
    return typeof v === 'number' ? formatNumber(v, {}, l) : String(v);
  });
}

function lookup(catalogues: Partial<Record<Locale, Partial<Record<string, string>>>>, l: Locale, key: string) {
  const own = catalogues[l];
  if (own && Object.prototype.hasOwnProperty.call(own, key)) return own[key];
  const english = catalogues.en;
  if (english && Object.prototype.hasOwnProperty.call(english, key)) return english[key];
  return undefined;
}

/** `key` in `l`, else in English, else the key itself; with `params` filled in. */
export function translate(
  catalogues: Partial<Record<Locale, Partial<Record<string, string>>>>,
  l: Locale,
  key: string,
  params?: Params,
): string {
  return fill(lookup(catalogues, l, key) ?? key, params, l);
}

/** The plural form of `stem` for `count` (`{count}` is filled in too). */
export function translatePlural(
  catalogues: Partial<Record<Locale, Partial<Record<string, string>>>>,
  l: Locale,
  stem: string,
  count: number,
  params?: Params,
): string {
  const form = pluralRules(l).select(count);
  const all = { count, ...params };
  // The locale's own form, then its "other", then English's.
  const own = catalogues[l];
  for (const k of [`${stem}#${form}`, `${stem}#other`]) {
    if (own && Object.prototype.hasOwnProperty.call(own, k)) return fill(own[k] as string, all, l);
  }
  const enForm = pluralRules('en').select(count);
  return translate(catalogues, l, lookup(catalogues, 'en', `${stem}#${enForm}`) ? `${stem}#${enForm}` : `${stem}#other`, all);
}

// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a cache, as above
const plurals = new Map<Locale, Intl.PluralRules>();
function pluralRules(l: Locale): Intl.PluralRules {
  let r = plurals.get(l);
  if (!r) {
    r = new Intl.PluralRules(l);
    plurals.set(l, r);
  }
  return r;
}

/** The message `key` in the current language. */
export function t(key: MessageKey, params?: Params): string {
  return translate(CATALOGUES, current.locale, key, params);
}

/** The message `stem` in the plural form for `count` ("1 review", "2 reviews"). */
export function tn(stem: PluralKey, count: number, params?: Params): string {
  return translatePlural(CATALOGUES, current.locale, stem, count, params);
}
