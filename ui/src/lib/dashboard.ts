// Pure helpers of the dashboard: which sections a role sees, the figures as
// table rows and chart options, and the wording of hours, rates and freshness
// (unit-tested; the component only draws what these return).
import type { BarSeriesOption } from 'echarts/charts';
import type {
  AriaComponentOption,
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import type { AgreementFigure } from './bindings/AgreementFigure';
import type { BiasFigure } from './bindings/BiasFigure';
import type { BiasReport } from './bindings/BiasReport';
import type { BiasState } from './bindings/BiasState';
import type { CaseAge } from './bindings/CaseAge';
import type { DecisionStars } from './bindings/DecisionStars';
import type { HitDay } from './bindings/HitDay';
import type { HourCount } from './bindings/HourCount';
import type { MemberFigure } from './bindings/MemberFigure';
import type { TeamFigures } from './bindings/TeamFigures';
import { kindLabel, stageLabel } from './audits';
import { stageName } from './disputes';
import { formatDate, formatTime, isReason, reasonLabel } from './format';
import { formatFixed, inSentence, t, tn, type MessageKey } from './i18n.svelte';
import type { AuditKind } from './bindings/AuditKind';
import type { DisputeStage } from './bindings/DisputeStage';

export type ChartOption = ComposeOption<
  BarSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | AriaComponentOption
>;


/** The dashboard's keys; `what` is a message key, translated where it is shown. */
export const DASHBOARD_SHORTCUTS: { keys: string; what: MessageKey }[] = [
  { keys: 'r', what: 'dashShortcut.refresh' },
  { keys: 'Esc', what: 'dashShortcut.back' },
  { keys: 'Shift+R / Shift+A / Shift+D', what: 'dashShortcut.views' },
];

// ---------------------------------------------------------------------------
// Who sees what

export interface Sections {
  /** Own throughput, queue age, decisions by stars, ARM hits. */
  local: boolean;
  /** Agreement with second opinions and the bias guard. */
  fairness: boolean;
  /** Every team member's work (admins). */
  members: boolean;
  /** Shops flagged by the removal check. */
  shops: boolean;
  /** Open audits and disputes against their deadlines; which kinds. */
  cases: ('audit' | 'dispute')[];
  /** Whether the server's figures apply to the role at all. */
  team: boolean;
}

/** The sections for a role; without a sign-in the workstation is a moderator's. */
export function sectionsFor(role: string | null): Sections {
  switch (role) {
    case 'admin':
      return { local: true, fairness: true, members: true, shops: true, cases: ['audit', 'dispute'], team: true };
    case 'auditor':
      return { local: false, fairness: false, members: false, shops: true, cases: ['audit'], team: true };
    case 'mediator':
      return { local: false, fairness: false, members: false, shops: false, cases: ['dispute'], team: false };
    default:
      return { local: true, fairness: true, members: false, shops: false, cases: [], team: true };
  }
}

export function roleLabel(role: string | null): string {
  if (role === null) return t('role.none');
  const known = ['moderator', 'admin', 'auditor', 'mediator'] as const;
  return (known as readonly string[]).includes(role) ? t(`role.${role as (typeof known)[number]}`) : role;
}

// ---------------------------------------------------------------------------
// Wording

function humanise(code: string): string {
  const s = code.replace(/[_:]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const DECISIONS = [
  'publish',
  'reject',
  'request_evidence',
  'receive_evidence',
  'accept_evidence',
  'refuse_evidence',
  'expire_deadline',
] as const;

/** "publish" → "Published", "reject:insult" → "Rejected: insult or racist statement". */
export function decisionLabel(decision: string): string {
  if (decision.startsWith('reject:')) {
    const reason = decision.slice('reject:'.length);
    const label = isReason(reason) ? reasonLabel(reason) : humanise(reason);
    // An unknown code is humanised English: lower-cased like English in every language.
    return t('decision.rejectFor', { reason: isReason(reason) ? inSentence(label) : label.toLowerCase() });
  }
  return (DECISIONS as readonly string[]).includes(decision)
    ? t(`decision.${decision as (typeof DECISIONS)[number]}`)
    : humanise(decision);
}

/** An ARM category as the filter and reject dialog name it. */
export function categoryLabel(category: string): string {
  return isReason(category) ? reasonLabel(category) : humanise(category);
}

export const INDUSTRIES = ['general', 'insurance', 'e-cigarettes', 'medicinal', 'supplements', 'alcohol'] as const;

export function industryLabel(code: string): string {
  return (INDUSTRIES as readonly string[]).includes(code)
    ? t(`industry.${code as (typeof INDUSTRIES)[number]}`)
    : humanise(code);
}

/** An age or duration in hours: "35 min", "5.2 h", "17 h", "74 h (3.1 d)"; "—" when unknown. */
export function hoursText(hours: number | null): string {
  if (hours === null || !Number.isFinite(hours)) return '—';
  const sign = hours < 0 ? '-' : '';
  const a = Math.abs(hours);
  if (a < 1) return t('unit.minutes', { value: `${sign}${Math.round(a * 60)}` });
  if (a < 10) return t('unit.hours', { value: `${sign}${formatFixed(a, 1)}` });
  if (a < 48) return t('unit.hours', { value: `${sign}${Math.round(a)}` });
  return t('unit.hoursDays', { hours: `${sign}${Math.round(a)}`, days: formatFixed(a / 24, 1) });
}

/** Time left to a deadline, or how long it is overdue. */
export function deadlineText(hoursLeft: number | null): string {
  if (hoursLeft === null || !Number.isFinite(hoursLeft)) return t('time.noDeadline');
  if (hoursLeft < 0) return t('time.overdueBy', { duration: hoursText(-hoursLeft) });
  return t('time.left', { duration: hoursText(hoursLeft) });
}

/** "less than a minute", "5 min", "3 h", "2 d" between `iso` and `now`. */
export function relativeTime(iso: string, now: Date): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return t('time.unknown');
  const s = Math.max(0, (now.getTime() - at) / 1000);
  if (s < 60) return t('time.lessThanMinute');
  if (s < 3600) return t('unit.minutes', { value: Math.floor(s / 60) });
  if (s < 48 * 3600) return t('unit.hours', { value: Math.floor(s / 3600) });
  return t('unit.days', { value: Math.floor(s / 86400) });
}

/** "2026-11-26 14:05 UTC" of an RFC 3339 time ("26.11.2026, 14:05 UTC" in German). */
export function utcText(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms).toISOString();
  return t('time.utc', { date: formatDate(d), time: formatTime(d) });
}

export function localFreshness(generatedAt: string): string {
  return t('fresh.local', { time: utcText(generatedAt) });
}

/** Team figures older than this are called out as stale. */
export const STALE_HOURS = 24;

export function teamFreshness(team: TeamFigures | null, now: Date): { text: string; stale: boolean } {
  if (!team) return { text: t('fresh.teamNone'), stale: true };
  const age = (now.getTime() - Date.parse(team.fetched_at)) / 3_600_000;
  const stale = age > STALE_HOURS;
  return {
    text: t(stale ? 'fresh.teamStale' : 'fresh.team', { age: relativeTime(team.fetched_at, now) }),
    stale,
  };
}

/** A share in [0, 1] as "45 %" ("4.5 %" below ten). */
export function percent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  const p = share * 100;
  return t('fmt.percent', { value: p < 10 && p > 0 ? formatFixed(p, 1) : Math.round(p) });
}

/** "12 of 40 (30 %)". */
export function rateText(part: number, whole: number): string {
  return whole > 0 ? t('fmt.rate', { part, whole, percent: percent(part / whole) }) : t('fmt.rateNone', { part });
}

export function pText(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '—';
  return p < 0.001 ? t('fmt.pBelow', { value: formatFixed(0.001, 3) }) : t('fmt.pEquals', { value: formatFixed(p, 3) });
}

/** Landis and Koch's words for a kappa. */
export function kappaWord(k: number): string {
  if (k < 0) return t('kappa.poor');
  if (k <= 0.2) return t('kappa.slight');
  if (k <= 0.4) return t('kappa.fair');
  if (k <= 0.6) return t('kappa.moderate');
  if (k <= 0.8) return t('kappa.substantial');
  return t('kappa.almostPerfect');
}

export function kappaText(f: AgreementFigure): string {
  // The note comes from the server, in English.
  if (f.kappa === null) return f.note ?? t('kappa.tooFew');
  const kappa = formatFixed(f.kappa, 2);
  const word = kappaWord(f.kappa);
  if (f.kappa_low === null || f.kappa_high === null) return t('kappa.text', { kappa, word });
  return t('kappa.textInterval', { kappa, word, low: formatFixed(f.kappa_low, 2), high: formatFixed(f.kappa_high, 2) });
}

export function rawAgreementText(f: AgreementFigure): string {
  if (f.raw_agreement === null) return f.note ?? t('kappa.tooFew');
  return t('agreement.raw', { percent: percent(f.raw_agreement), agreed: f.agreed, samples: f.samples });
}

export function biasStateText(state: BiasState, min: number): string {
  switch (state) {
    case 'fair':
      return t('bias.fair');
    case 'too_few':
      return t('bias.tooFew', { min });
    case 'warning':
      return t('bias.warning');
  }
}

export function starsLabel(n: number): string {
  return tn('stars', n);
}

// ---------------------------------------------------------------------------
// Rows

export interface HourRow {
  hour: string;
  /** "14:00" (UTC). */
  label: string;
  decisions: number;
}

function hourLabel(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(11, 13)}:00`;
}

export function throughputRows(throughput: HourCount[]): { rows: HourRow[]; total: number } {
  const rows = throughput.map((h) => ({ hour: h.hour, label: hourLabel(h.hour), decisions: h.decisions }));
  return { rows, total: rows.reduce((s, r) => s + r.decisions, 0) };
}

/** The starts of the 24 hours up to and including the hour of `endIso`, oldest first. */
export function hoursEnding(endIso: string, n = 24): string[] {
  const end = Date.parse(endIso);
  if (Number.isNaN(end)) return Array.from({ length: n }, (_, i) => `-${n - 1 - i} h`);
  const last = Math.floor(end / 3_600_000) * 3_600_000;
  return Array.from({ length: n }, (_, i) => new Date(last - (n - 1 - i) * 3_600_000).toISOString());
}

export interface DecisionRow {
  decision: string;
  label: string;
  /** Five counts, 1 star first. */
  byStars: number[];
  total: number;
}

export function decisionRows(decisions: DecisionStars[]): { rows: DecisionRow[]; byStars: number[]; total: number } {
  const rows = decisions
    .map((d) => {
      const byStars = [0, 1, 2, 3, 4].map((i) => d.by_stars[i] ?? 0);
      return { decision: d.decision, label: decisionLabel(d.decision), byStars, total: byStars.reduce((s, n) => s + n, 0) };
    })
    .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  const byStars = [0, 1, 2, 3, 4].map((i) => rows.reduce((s, r) => s + (r.byStars[i] ?? 0), 0));
  return { rows, byStars, total: byStars.reduce((s, n) => s + n, 0) };
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export interface HitTable {
  days: string[];
  categories: { code: string; label: string }[];
  /** counts[day][category], in the order of `days` and `categories`. */
  counts: number[][];
  dayTotals: number[];
  categoryTotals: number[];
  total: number;
}

/** Hits per day and category, every day of the window present (zero-filled). */
export function hitTable(hits: HitDay[], generatedAt: string, windowDays: number): HitTable {
  // ISO days whatever the UI language: they are keys and sort as text.
  const today = formatDate(new Date(Date.parse(generatedAt) || Date.now()).toISOString(), 'en');
  let first = addDays(today, -(windowDays - 1));
  for (const h of hits) if (h.day < first) first = h.day;
  const days: string[] = [];
  for (let d = first; d <= today && days.length < 366; d = addDays(d, 1)) days.push(d);
  for (const h of hits) if (!days.includes(h.day)) days.push(h.day);
  days.sort();
  const codes = [...new Set(hits.map((h) => h.category))];
  const perCategory = new Map<string, number>();
  for (const h of hits) perCategory.set(h.category, (perCategory.get(h.category) ?? 0) + h.hits);
  codes.sort((a, b) => (perCategory.get(b) ?? 0) - (perCategory.get(a) ?? 0) || a.localeCompare(b));
  const counts = days.map((day) =>
    codes.map((c) => hits.filter((h) => h.day === day && h.category === c).reduce((s, h) => s + h.hits, 0)),
  );
  const dayTotals = counts.map((row) => row.reduce((s, n) => s + n, 0));
  const categoryTotals = codes.map((_, j) => counts.reduce((s, row) => s + (row[j] ?? 0), 0));
  return {
    days,
    categories: codes.map((code) => ({ code, label: categoryLabel(code) })),
    counts,
    dayTotals,
    categoryTotals,
    total: dayTotals.reduce((s, n) => s + n, 0),
  };
}

export interface MemberRow {
  name: string;
  role: string;
  perHour: number[];
  lastDay: number;
  inWindow: number;
}

export function memberRows(members: MemberFigure[]): MemberRow[] {
  return members.map((m) => ({
    name: m.name,
    role: roleLabel(m.role),
    perHour: m.per_hour,
    lastDay: m.per_hour.reduce((s, n) => s + n, 0),
    inWindow: m.decisions_in_window,
  }));
}

/** Team first, then the moderators' rows (a moderator gets only their own). */
export function agreementRows(team: AgreementFigure, moderators: AgreementFigure[]): (AgreementFigure & { who: string })[] {
  return [
    { ...team, who: t('who.team') },
    ...moderators.filter((m) => m.label !== 'team').map((m) => ({ ...m, who: m.label })),
  ];
}

export interface BiasRow {
  who: string;
  negative: string;
  positive: string;
  p: string;
  state: BiasState;
  stateText: string;
}

export function biasRows(bias: BiasReport): BiasRow[] {
  const figures = [bias.team, ...bias.moderators.filter((m) => m.label !== 'team')];
  return figures.map((f) => ({
    who: f === bias.team ? t('who.team') : f.label,
    negative: rateText(f.negative_removed, f.negative_decided),
    positive: rateText(f.positive_removed, f.positive_decided),
    p: pText(f.p_value),
    state: f.state,
    stateText: biasStateText(f.state, bias.min_per_group),
  }));
}

/** The figures in a warning state, team first: what the warning banner lists. */
export function biasWarnings(bias: BiasReport | null): (BiasFigure & { who: string })[] {
  if (!bias) return [];
  const figures = [
    { ...bias.team, who: t('who.theTeam') },
    ...bias.moderators.filter((m) => m.label !== 'team').map((m) => ({ ...m, who: m.label })),
  ];
  return figures.filter((f) => f.state === 'warning');
}

export interface CaseRow {
  kind: string;
  id: string;
  stage: string;
  due: string;
  left: string;
  overdue: boolean;
  hoursLeft: number | null;
}

const AUDIT_KINDS = ['initial', 're_audit', 'spot_check'];
const DISPUTE_STAGES = ['communication', 'mediation', 'arbitration_referral', 'closed'];

export function caseStageLabel(kind: string, stage: string): string {
  if (kind === 'audit') return AUDIT_KINDS.includes(stage) ? kindLabel(stage as AuditKind) : stageLabel(stage);
  if (kind === 'dispute' && DISPUTE_STAGES.includes(stage)) return stageName(stage as DisputeStage);
  return humanise(stage);
}

/** Open cases of the given kinds, overdue and nearest deadline first, those without one last. */
export function caseRows(cases: CaseAge[], kinds: string[]): CaseRow[] {
  return cases
    .filter((c) => kinds.includes(c.kind))
    .map((c) => ({
      kind: c.kind === 'audit' ? t('caseKind.audit') : c.kind === 'dispute' ? t('caseKind.dispute') : humanise(c.kind),
      id: c.id,
      stage: caseStageLabel(c.kind, c.stage),
      due: c.due ? utcText(c.due) : '—',
      left: deadlineText(c.hours_left),
      overdue: c.hours_left !== null && c.hours_left < 0,
      hoursLeft: c.hours_left,
    }))
    .sort((a, b) => (a.hoursLeft ?? Infinity) - (b.hoursLeft ?? Infinity));
}

// ---------------------------------------------------------------------------
// Charts

export interface ChartTheme {
  fg: string;
  muted: string;
  line: string;
  bg: string;
  /** Series colours; patterns (decals) tell them apart without colour. */
  palette: string[];
  /** Colour of the decal patterns drawn over the bars. */
  decal: string;
  animation: boolean;
}

export const FALLBACK_THEME: ChartTheme = {
  fg: '#1a202c',
  muted: '#5f6b7a',
  line: '#d9dde3',
  bg: '#ffffff',
  palette: ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#b07d00', '#56b4e9', '#6b46c1', '#4d5562'],
  decal: 'rgba(255, 255, 255, 0.6)',
  animation: false,
};

interface BarSeries {
  name: string;
  data: number[];
}

/** A (stacked) bar chart over categories, themed and described for screen readers. */
export function barOption(
  theme: ChartTheme,
  spec: {
    categories: string[];
    series: BarSeries[];
    xName: string;
    yName: string;
    description: string;
    stacked?: boolean;
    /** Print each bar's value on it (only sensible with few series). */
    values?: boolean;
  },
): ChartOption {
  const axisText = { color: theme.muted };
  const legend = spec.series.length > 1;
  return {
    animation: theme.animation,
    animationDuration: 300,
    color: theme.palette,
    backgroundColor: 'transparent',
    textStyle: { color: theme.fg, fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif' },
    aria: {
      enabled: true,
      label: { description: spec.description },
      decal: {
        show: true,
        decals: theme.palette.map((_, i) => ({
          color: theme.decal,
          symbol: (['rect', 'circle', 'triangle', 'diamond', 'rect', 'circle', 'triangle', 'diamond'] as const)[i % 8],
          dashArrayX: i % 2 === 0 ? [1, 0] : [[8, 8], [0, 8, 8, 0]],
          dashArrayY: i < 4 ? [4, 3] : [2, 5],
          rotation: (i % 4) * (Math.PI / 4),
          symbolSize: 1,
        })),
      },
    },
    grid: { left: 8, right: 16, top: legend ? 56 : 28, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'all' },
    legend: legend
      ? { type: 'scroll', top: 0, textStyle: { color: theme.fg }, pageTextStyle: { color: theme.fg }, inactiveColor: theme.line }
      : { show: false },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      // Drawn in the SVG, not as HTML with inline styles the CSP forbids.
      renderMode: 'richText',
      backgroundColor: theme.bg,
      borderColor: theme.line,
      textStyle: { color: theme.fg },
    },
    xAxis: {
      type: 'category',
      data: spec.categories,
      name: spec.xName,
      nameLocation: 'middle',
      nameGap: 28,
      nameTextStyle: axisText,
      axisLabel: axisText,
      axisLine: { lineStyle: { color: theme.line } },
      axisTick: { lineStyle: { color: theme.line } },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      name: spec.yName,
      nameTextStyle: axisText,
      axisLabel: axisText,
      splitLine: { lineStyle: { color: theme.line } },
    },
    series: spec.series.map((s) => ({
      type: 'bar',
      name: s.name,
      data: s.data,
      stack: spec.stacked ? 'total' : undefined,
      emphasis: { focus: 'series' },
      label: spec.values
        ? {
            show: true,
            position: 'top',
            color: theme.fg,
            formatter: (p: { value?: unknown }) => (Number(p.value) > 0 ? String(p.value) : ''),
          }
        : undefined,
    })),
  };
}

export function throughputOption(theme: ChartTheme, rows: HourRow[]): ChartOption {
  const total = rows.reduce((s, r) => s + r.decisions, 0);
  const peak = rows.reduce((m, r) => (r.decisions > m.decisions ? r : m), rows[0] ?? { label: '', decisions: 0, hour: '' });
  return barOption(theme, {
    categories: rows.map((r) => r.label),
    series: [{ name: t('chart.decisions'), data: rows.map((r) => r.decisions) }],
    xName: t('chart.hourUtc'),
    yName: t('chart.decisions'),
    values: true,
    description:
      t('chart.throughput', { total }) +
      (peak.decisions > 0 ? t('chart.throughputPeak', { count: peak.decisions, hour: peak.label }) : '') +
      `. ${t('chart.alsoTable')}`,
  });
}

export function decisionsOption(theme: ChartTheme, rows: DecisionRow[]): ChartOption {
  return barOption(theme, {
    categories: [1, 2, 3, 4, 5].map(starsLabel),
    series: rows.map((r) => ({ name: r.label, data: r.byStars })),
    xName: t('chart.starsOfReview'),
    yName: t('chart.decisions'),
    stacked: true,
    description:
      t('chart.decisionsByStars', { list: rows.map((r) => `${r.label} ${r.total}`).join(', ') }) +
      `. ${t('chart.alsoTable')}`,
  });
}

/** "11-26" in English (as before), the locale's day and month otherwise ("26.11."). */
function dayLabel(day: string): string {
  const full = formatDate(day);
  return full === day ? day.slice(5) : full.replace(/\D?\d{4}\D?/, '');
}

export function hitsOption(theme: ChartTheme, table: HitTable): ChartOption {
  return barOption(theme, {
    categories: table.days.map((d) => dayLabel(d)),
    series: table.categories.map((c, j) => ({ name: c.label, data: table.counts.map((row) => row[j] ?? 0) })),
    xName: t('chart.daySubmitted'),
    yName: t('chart.filterHits'),
    stacked: true,
    description:
      t('chart.hits', {
        total: table.total,
        list: table.categories.map((c, j) => `${c.label} ${table.categoryTotals[j] ?? 0}`).join(', '),
      }) + `. ${t('chart.alsoTable')}`,
  });
}

export function membersOption(theme: ChartTheme, rows: MemberRow[], hours: string[]): ChartOption {
  return barOption(theme, {
    categories: hours.map(hourLabel),
    series: rows.map((r) => ({ name: r.name, data: r.perHour })),
    xName: t('chart.hourUtc'),
    yName: t('chart.decisions'),
    stacked: true,
    description:
      t('chart.members', { list: rows.map((r) => `${r.name} ${r.lastDay}`).join(', ') }) + `. ${t('chart.alsoTable')}`,
  });
}
