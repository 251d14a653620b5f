import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from './i18n.svelte';
import type { AgreementFigure } from './bindings/AgreementFigure';
import type { BiasFigure } from './bindings/BiasFigure';
import type { BiasReport } from './bindings/BiasReport';
import type { HourCount } from './bindings/HourCount';
import {
  agreementRows,
  biasRows,
  biasWarnings,
  caseRows,
  decisionLabel,
  decisionRows,
  decisionsOption,
  deadlineText,
  FALLBACK_THEME,
  hitTable,
  hitsOption,
  hoursEnding,
  hoursText,
  industryLabel,
  kappaText,
  memberRows,
  membersOption,
  percent,
  pText,
  rateText,
  rawAgreementText,
  relativeTime,
  sectionsFor,
  teamFreshness,
  throughputOption,
  throughputRows,
  utcText,
} from './dashboard';

const figure = (patch: Partial<AgreementFigure> = {}): AgreementFigure => ({
  label: 'team',
  samples: 50,
  agreed: 43,
  raw_agreement: 0.86,
  kappa: 0.72,
  kappa_low: 0.61,
  kappa_high: 0.83,
  note: null,
  ...patch,
});

const bias = (patch: Partial<BiasFigure> = {}): BiasFigure => ({
  label: 'team',
  negative_decided: 40,
  negative_removed: 18,
  positive_decided: 60,
  positive_removed: 3,
  z: 4.1,
  p_value: 0.0004,
  state: 'warning',
  examples: [{ review_id: 'r1', stars: 1, decision: 'reject:insult', decided_at: '2026-11-20T10:00:00Z' }],
  ...patch,
});

const report = (team: BiasFigure, moderators: BiasFigure[]): BiasReport => ({
  window_days: 30,
  alpha: 0.01,
  min_per_group: 30,
  team,
  moderators,
});

describe('dashboard sections', () => {
  it('shows each role its figures', () => {
    expect(sectionsFor('moderator')).toMatchObject({ local: true, fairness: true, members: false, shops: false, cases: [] });
    expect(sectionsFor('admin')).toMatchObject({ local: true, fairness: true, members: true, shops: true });
    expect(sectionsFor('auditor')).toMatchObject({ local: false, fairness: false, shops: true, cases: ['audit'] });
    expect(sectionsFor('mediator')).toMatchObject({ local: false, shops: false, cases: ['dispute'], team: false });
    // Working on local data without a sign-in: a moderator's own figures.
    expect(sectionsFor(null)).toMatchObject({ local: true, fairness: true, members: false });
  });
});

describe('dashboard labels', () => {
  it('says what a decision label means', () => {
    expect(decisionLabel('publish')).toBe('Published');
    expect(decisionLabel('request_evidence')).toBe('Evidence requested');
    expect(decisionLabel('refuse_evidence')).toBe('Evidence refused (deleted)');
    expect(decisionLabel('reject:insult')).toBe('Rejected: insult or racist statement');
    expect(decisionLabel('reject:spam_duplicate')).toBe('Rejected: spam or duplicate');
    expect(decisionLabel('reject:something_new')).toBe('Rejected: something new');
    expect(decisionLabel('brand_new_action')).toBe('Brand new action');
    // No prototype keys as labels.
    expect(decisionLabel('reject:constructor')).toBe('Rejected: constructor');
  });

  it('names industries', () => {
    expect(industryLabel('e-cigarettes')).toBe('E-cigarettes');
    expect(industryLabel('pet_food')).toBe('Pet food');
  });

  it('writes hours, deadlines, rates and p-values', () => {
    expect(hoursText(null)).toBe('—');
    expect(hoursText(0.5)).toBe('30 min');
    expect(hoursText(5.24)).toBe('5.2 h');
    expect(hoursText(17.4)).toBe('17 h');
    expect(hoursText(74)).toBe('74 h (3.1 d)');
    expect(deadlineText(30)).toBe('30 h left');
    expect(deadlineText(-5.5)).toBe('overdue by 5.5 h');
    expect(deadlineText(null)).toBe('no deadline');
    expect(percent(0.45)).toBe('45 %');
    expect(percent(0.045)).toBe('4.5 %');
    expect(percent(0)).toBe('0 %');
    expect(rateText(12, 40)).toBe('12 of 40 (30 %)');
    expect(rateText(0, 0)).toBe('0 of 0');
    expect(pText(0.0004)).toBe('p < 0.001');
    expect(pText(0.0312)).toBe('p = 0.031');
    expect(pText(null)).toBe('—');
  });

  it('shows kappa with its interval, or the note when it is absent', () => {
    expect(kappaText(figure())).toBe('κ 0.72, substantial (95 % interval 0.61 to 0.83)');
    expect(rawAgreementText(figure())).toBe('86 % (43 of 50)');
    const few = figure({ raw_agreement: null, kappa: null, kappa_low: null, kappa_high: null, note: '12 second opinions; 30 are needed' });
    expect(kappaText(few)).toBe('12 second opinions; 30 are needed');
    expect(rawAgreementText(few)).toBe('12 second opinions; 30 are needed');
    expect(agreementRows(figure(), [figure({ label: 'Mo Derator' })]).map((r) => r.who)).toEqual(['Team', 'Mo Derator']);
  });
});

describe('dashboard freshness', () => {
  const now = new Date('2026-11-26T14:30:00Z');

  it('says how long ago', () => {
    expect(relativeTime('2026-11-26T14:29:30Z', now)).toBe('less than a minute');
    expect(relativeTime('2026-11-26T14:05:00Z', now)).toBe('25 min');
    expect(relativeTime('2026-11-26T09:30:00Z', now)).toBe('5 h');
    expect(relativeTime('2026-11-22T14:30:00Z', now)).toBe('4 d');
    // A clock ahead of ours is not "in the future".
    expect(relativeTime('2026-11-26T14:31:00Z', now)).toBe('less than a minute');
    expect(utcText('2026-11-26T14:05:12.123456Z')).toBe('2026-11-26 14:05 UTC');
  });

  it('tells fetched team figures from missing and stale ones', () => {
    expect(teamFreshness(null, now)).toEqual({ text: 'Team figures not fetched yet — sync while online', stale: true });
    const team = (fetched_at: string) => ({
      fetched_at,
      report: { generated_at: fetched_at, sample_share: 0.03, agreement: null, bias: null, shops: [], members: [] },
    });
    expect(teamFreshness(team('2026-11-26T14:25:00Z'), now)).toEqual({ text: 'Team figures fetched 5 min ago', stale: false });
    const old = teamFreshness(team('2026-11-24T14:25:00Z'), now);
    expect(old.stale).toBe(true);
    expect(old.text).toMatch(/^Team figures fetched 2 d ago — stale/);
  });
});

describe('dashboard tables', () => {
  it('lists the hours with their total', () => {
    const hours: HourCount[] = hoursEnding('2026-11-26T14:30:00Z').map((hour, i) => ({ hour, decisions: i === 23 ? 2 : i % 5 }));
    const t = throughputRows(hours);
    expect(t.rows).toHaveLength(24);
    expect(t.rows[0]?.label).toBe('15:00');
    expect(t.rows[23]).toEqual({ hour: '2026-11-26T14:00:00.000Z', label: '14:00', decisions: 2 });
    expect(t.total).toBe(hours.reduce((s, h) => s + h.decisions, 0));
  });

  it('turns decisions by stars into rows and totals, the most frequent first', () => {
    const d = decisionRows([
      { decision: 'reject:insult', by_stars: [3, 1, 0, 0, 0] },
      { decision: 'publish', by_stars: [1, 2, 3, 4, 10] },
      { decision: 'request_evidence', by_stars: [1] },
    ]);
    expect(d.rows.map((r) => r.decision)).toEqual(['publish', 'reject:insult', 'request_evidence']);
    expect(d.rows[2]?.byStars).toEqual([1, 0, 0, 0, 0]);
    expect(d.byStars).toEqual([5, 3, 3, 4, 10]);
    expect(d.total).toBe(25);
  });

  it('fills every day of the hit window, categories by frequency', () => {
    const t = hitTable(
      [
        { day: '2026-11-20', category: 'personal_data', hits: 1 },
        { day: '2026-11-25', category: 'insult', hits: 2 },
        { day: '2026-11-26', category: 'insult', hits: 1 },
      ],
      '2026-11-26T14:30:00Z',
      14,
    );
    expect(t.days).toHaveLength(14);
    expect(t.days[0]).toBe('2026-11-13');
    expect(t.days[13]).toBe('2026-11-26');
    expect(t.categories).toEqual([
      { code: 'insult', label: 'Insult or racist statement' },
      { code: 'personal_data', label: 'Personal data' },
    ]);
    expect(t.counts[t.days.indexOf('2026-11-25')]).toEqual([2, 0]);
    expect(t.categoryTotals).toEqual([3, 1]);
    expect(t.total).toBe(4);
  });

  it('lists bias figures and raises warnings for the team and the moderators', () => {
    const fair = bias({ label: 'Mo Derator', state: 'fair', examples: [] });
    const b = report(bias(), [fair]);
    const rows = biasRows(b);
    expect(rows.map((r) => [r.who, r.state])).toEqual([
      ['Team', 'warning'],
      ['Mo Derator', 'fair'],
    ]);
    expect(rows[0]?.negative).toBe('18 of 40 (45 %)');
    expect(rows[0]?.positive).toBe('3 of 60 (5.0 %)');
    expect(rows[0]?.p).toBe('p < 0.001');
    expect(biasWarnings(b).map((w) => w.who)).toEqual(['The team']);
    expect(biasWarnings(report(bias({ state: 'too_few' }), [fair]))).toEqual([]);
    expect(biasWarnings(null)).toEqual([]);
  });

  it('orders cases by deadline, overdue first and those without one last', () => {
    const rows = caseRows(
      [
        { kind: 'audit', id: 'a1', stage: 'spot_check', due: '2026-12-01T00:00:00Z', hours_left: 100 },
        { kind: 'dispute', id: 'd1', stage: 'mediation', due: null, hours_left: null },
        { kind: 'dispute', id: 'd2', stage: 'communication', due: '2026-11-25T00:00:00Z', hours_left: -38.5 },
        { kind: 'dispute', id: 'd3', stage: 'arbitration_referral', due: '2026-11-27T00:00:00Z', hours_left: 9.5 },
      ],
      ['dispute'],
    );
    expect(rows.map((r) => r.id)).toEqual(['d2', 'd3', 'd1']);
    expect(rows[0]).toMatchObject({ kind: 'Dispute', stage: 'Direct communication', overdue: true, left: 'overdue by 39 h' });
    expect(rows[2]).toMatchObject({ due: '—', left: 'no deadline', overdue: false });
    expect(caseRows([{ kind: 'audit', id: 'a1', stage: 'spot_check', due: null, hours_left: null }], ['audit'])[0]?.stage).toBe(
      'Spot check',
    );
  });

  it('sums team members over the day', () => {
    const rows = memberRows([{ name: 'Mo', role: 'moderator', per_hour: [1, 0, 2], decisions_in_window: 40, decisions: [] }]);
    expect(rows).toEqual([{ name: 'Mo', role: 'Moderator', perHour: [1, 0, 2], lastDay: 3, inWindow: 40 }]);
  });
});

describe('dashboard charts', () => {
  it('makes accessible, patterned bar charts', () => {
    const hours = hoursEnding('2026-11-26T14:30:00Z').map((hour) => ({ hour, decisions: 1 }));
    const o = throughputOption(FALLBACK_THEME, throughputRows(hours).rows);
    expect(o.aria).toMatchObject({ enabled: true, decal: { show: true } });
    expect(String((o.aria as { label: { description: string } }).label.description)).toMatch(/24 in all/);
    expect(o.tooltip).toMatchObject({ renderMode: 'richText' });
    const series = o.series as { name: string; data: number[]; stack?: string }[];
    expect(series).toHaveLength(1);
    expect(series[0]?.data).toHaveLength(24);
  });

  it('stacks one labelled series per decision, category and member', () => {
    const d = decisionsOption(FALLBACK_THEME, decisionRows([{ decision: 'publish', by_stars: [0, 0, 1, 2, 3] }]).rows);
    const ds = d.series as { name: string; data: number[]; stack?: string }[];
    expect(ds[0]).toMatchObject({ name: 'Published', data: [0, 0, 1, 2, 3], stack: 'total' });
    expect((d.xAxis as { data: string[] }).data).toEqual(['1 star', '2 stars', '3 stars', '4 stars', '5 stars']);

    const h = hitsOption(FALLBACK_THEME, hitTable([{ day: '2026-11-26', category: 'insult', hits: 2 }], '2026-11-26T10:00:00Z', 14));
    const hs = h.series as { name: string; data: number[] }[];
    expect(hs.map((s) => s.name)).toEqual(['Insult or racist statement']);
    expect(hs[0]?.data.at(-1)).toBe(2);

    const m = membersOption(
      FALLBACK_THEME,
      memberRows([
        { name: 'A', role: 'moderator', per_hour: Array(24).fill(1), decisions_in_window: 5, decisions: [] },
        { name: 'B', role: 'moderator', per_hour: Array(24).fill(0), decisions_in_window: 0, decisions: [] },
      ]),
      hoursEnding('2026-11-26T14:30:00Z'),
    );
    expect((m.series as unknown[]).length).toBe(2);
    expect((m.xAxis as { data: string[] }).data.at(-1)).toBe('14:00');
  });
});

describe('dashboard in German and Dutch', () => {
  afterEach(() => setLocale('en', false));

  it('words durations, rates and labels in German; the hit window keeps ISO days', () => {
    setLocale('de', false);
    expect(hoursText(5.24)).toBe('5,2 Std.');
    expect(hoursText(74)).toBe('74 Std. (3,1 Tg.)');
    expect(deadlineText(-5.5)).toBe('seit 5,5 Std. überfällig');
    expect(rateText(12, 40)).toBe('12 von 40 (30 %)');
    expect(pText(0.0312)).toBe('p = 0,031');
    expect(decisionLabel('reject:insult')).toBe('Abgelehnt: Beleidigung oder rassistische Äußerung');
    expect(industryLabel('e-cigarettes')).toBe('E-Zigaretten');
    expect(kappaText(figure())).toBe('κ 0,72, beachtlich (95-%-Intervall 0,61 bis 0,83)');
    const t = hitTable([{ day: '2026-11-25', category: 'insult', hits: 2 }], '2026-11-26T14:30:00Z', 14);
    expect(t.days[13]).toBe('2026-11-26');
    expect(t.counts[t.days.indexOf('2026-11-25')]).toEqual([2]);
    const h = hitsOption(FALLBACK_THEME, t);
    expect((h.xAxis as { data: string[] }).data.at(-1)).toBe('26.11');
  });

  it('words freshness and stars in Dutch', () => {
    setLocale('nl', false);
    const now = new Date('2026-11-26T14:30:00Z');
    expect(relativeTime('2026-11-26T09:30:00Z', now)).toBe('5 u');
    expect(teamFreshness(null, now).text).toBe('Teamcijfers nog niet opgehaald — online synchroniseren');
    expect(percent(0.45)).toBe('45%');
    expect((decisionsOption(FALLBACK_THEME, []).xAxis as { data: string[] }).data).toEqual([
      '1 ster',
      '2 sterren',
      '3 sterren',
      '4 sterren',
      '5 sterren',
    ]);
  });
});
