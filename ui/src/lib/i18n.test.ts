import { afterEach, describe, expect, it } from 'vitest';
import {
  CATALOGUES,
  detectLocale,
  formatFixed,
  formatNumber,
  getLocale,
  inSentence,
  LOCALE_NAMES,
  LOCALES,
  setLocale,
  t,
  tn,
  translate,
  translatePlural,
} from './i18n.svelte';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

afterEach(() => setLocale('en', false));

describe('catalogues', () => {
  const english = Object.keys(CATALOGUES.en).sort();

  it('have the same keys in every language', () => {
    for (const l of LOCALES) expect(Object.keys(CATALOGUES[l]).sort()).toEqual(english);
  });

  it('have the same placeholders for a key in every language', () => {
    for (const key of english) {
      const want = placeholders(CATALOGUES.en[key as keyof typeof CATALOGUES.en]);
      for (const l of LOCALES) {
        expect({ key, l, got: placeholders(CATALOGUES[l][key as keyof typeof CATALOGUES.en]) }).toEqual({
          key,
          l,
          got: want,
        });
      }
    }
  });

  it('have no empty message', () => {
    for (const l of LOCALES) {
      for (const [key, text] of Object.entries(CATALOGUES[l])) expect({ l, key, empty: text.trim() === '' }).toEqual({ l, key, empty: false });
    }
  });

  it('give every plural both forms', () => {
    const forms = english.filter((k) => k.includes('#'));
    expect(forms.length).toBeGreaterThan(10);
    for (const key of forms) {
      expect(key).toMatch(/#(one|other)$/);
      const stem = key.replace(/#\w+$/, '');
      expect(english).toContain(`${stem}#one`);
      expect(english).toContain(`${stem}#other`);
    }
  });

  it('name each language in itself', () => {
    expect(LOCALE_NAMES).toEqual({ en: 'English', de: 'Deutsch', nl: 'Nederlands' });
  });
});

describe('t', () => {
  const cats = {
    en: { hello: 'Hello {name}', only_en: 'English only {n}', 'n#one': '{count} item', 'n#other': '{count} items' },
    de: { hello: 'Hallo {name}', 'n#one': '{count} Artikel', 'n#other': '{count} Artikel' },
  };

  it('fills parameters and leaves unknown placeholders alone', () => {
    expect(translate(cats, 'de', 'hello', { name: 'Ada' })).toBe('Hallo Ada');
    expect(translate(cats, 'en', 'hello')).toBe('Hello {name}');
    expect(translate(cats, 'en', 'hello', { other: 1 })).toBe('Hello {name}');
  });

  it('falls back to English, then to the key', () => {
    expect(translate(cats, 'de', 'only_en', { n: 3 })).toBe('English only 3');
    expect(translate(cats, 'nl', 'hello', { name: 'Ada' })).toBe('Hello Ada');
    expect(translate(cats, 'de', 'missing.key')).toBe('missing.key');
    // No prototype keys as messages.
    expect(translate(cats, 'de', 'constructor')).toBe('constructor');
  });

  it('formats numeric parameters for the language', () => {
    expect(translate(cats, 'de', 'hello', { name: 12345.5 })).toBe('Hallo 12.345,5');
    expect(translate(cats, 'en', 'hello', { name: 12345.5 })).toBe('Hello 12345.5');
  });

  it('picks plural forms by Intl.PluralRules', () => {
    expect(translatePlural(cats, 'en', 'n', 1)).toBe('1 item');
    expect(translatePlural(cats, 'en', 'n', 0)).toBe('0 items');
    expect(translatePlural(cats, 'en', 'n', 2)).toBe('2 items');
    expect(translatePlural(cats, 'de', 'n', 1)).toBe('1 Artikel');
    // Dutch missing: English forms.
    expect(translatePlural(cats, 'nl', 'n', 1)).toBe('1 item');
  });

  it('uses the real catalogues in the current language', () => {
    expect(getLocale()).toBe('en');
    expect(t('action.publish')).toBe('Publish');
    expect(tn('app.storeCount', 150)).toBe('150 reviews in the local store');
    expect(tn('app.storeCount', 1)).toBe('1 review in the local store');
    setLocale('de', false);
    expect(getLocale()).toBe('de');
    expect(t('action.publish')).toBe('Veröffentlichen');
    expect(tn('app.storeCount', 1)).toBe('1 Bewertung im lokalen Speicher');
    expect(tn('app.storeCount', 1500)).toBe('1.500 Bewertungen im lokalen Speicher');
    setLocale('nl', false);
    expect(t('action.publish')).toBe('Publiceren');
    expect(tn('app.storeCount', 2)).toBe('2 reviews in de lokale opslag');
    expect(tn('stars', 1)).toBe('1 ster');
  });
});

describe('locale choice', () => {
  it('prefers the saved choice, then German or Dutch by the system, else English', () => {
    expect(detectLocale('nl', 'de-DE')).toBe('nl');
    expect(detectLocale(null, 'de-AT')).toBe('de');
    expect(detectLocale(null, 'nl-BE')).toBe('nl');
    expect(detectLocale(undefined, 'NL')).toBe('nl');
    expect(detectLocale(null, 'en-US')).toBe('en');
    expect(detectLocale(null, 'fr-FR')).toBe('en');
    expect(detectLocale(null, undefined)).toBe('en');
    expect(detectLocale('xx', 'fr')).toBe('en');
    expect(detectLocale('', 'de')).toBe('de');
  });
});

describe('numbers', () => {
  it('group and use the decimal comma in German and Dutch, plain in English', () => {
    expect(formatNumber(1234567, {}, 'en')).toBe('1234567');
    expect(formatNumber(1234567, {}, 'de')).toBe('1.234.567');
    expect(formatNumber(1234567, {}, 'nl')).toBe('1.234.567');
    expect(formatFixed(0.5, 2, 'en')).toBe('0.50');
    expect(formatFixed(0.5, 2, 'de')).toBe('0,50');
    expect(formatFixed(0.5, 2, 'nl')).toBe('0,50');
  });

  it('keeps German nouns capitalised inside a sentence', () => {
    expect(inSentence('Personal data', 'en')).toBe('personal data');
    expect(inSentence('Persoonsgegevens', 'nl')).toBe('persoonsgegevens');
    expect(inSentence('Personenbezogene Daten', 'de')).toBe('Personenbezogene Daten');
  });
});
