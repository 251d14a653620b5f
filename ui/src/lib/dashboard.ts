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
import type { RejectionReason } from './bindings/RejectionReason';
import type { TeamFigures } from './bindings/TeamFigures';
import { kindLabel, stageLabel } from './audits';
import { stageName } from './disputes';
import { formatDate, REASON_LABELS } from './format';
import type { AuditKind } from './bindings/AuditKind';
import type { DisputeStage } from './bindings/DisputeStage';

export type ChartOption = ComposeOption<
  BarSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | AriaComponentOption
>;


export const DASHBOARD_SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'r', what: 'refresh the figures' },
  { keys: 'Esc', what: 'back to the previous view' },
  { keys: 'Shift+R / Shift+A / Shift+D', what: 'reviews / audits / disputes' },
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
  if (role === null) return 'not signed in';
  return { moderator: 'Moderator', admin: 'Admin', auditor: 'Auditor', mediator: 'Mediator' }[role] ?? role;
}

// ---------------------------------------------------------------------------
// Wording

function isReason(r: string): r is RejectionReason {
  return Object.prototype.hasOwnProperty.call(REASON_LABELS, r);
}

function humanise(code: string): string {
  const s = code.replace(/[_:]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "publish" → "Published", "reject:insult" → "Rejected: insult or racist statement". */
export function decisionLabel(decision: string): string {
  if (decision.startsWith('reject:')) {
    const reason = decision.slice('reject:'.length);
    return `Rejected: ${(isReason(reason) ? REASON_LABELS[reason] : humanise(reason)).toLowerCase()}`;
  }
  const known: Record<string, string> = {
    publish: 'Published',
    reject: 'Rejected',
    request_evidence: 'Evidence requested',
    receive_evidence: 'Evidence received',
    accept_evidence: 'Evidence accepted (published)',
    refuse_evidence: 'Evidence refused (deleted)',
    expire_deadline: 'Deleted: deadline passed',
  };
  return known[decision] ?? humanise(decision);
}

/** An ARM category as the filter and reject dialog name it. */
export function categoryLabel(category: string): string {
  return isReason(category) ? REASON_LABELS[category] : humanise(category);
}

const INDUSTRY_LABELS: Record<string, string> = {
  general: 'General',
  insurance: 'Insurance',
  'e-cigarettes': 'E-cigarettes',
  medicinal: 'Medicinal products',
  supplements: 'Dietary supplements',
  alcohol: 'Alcoholic beverages',
};

export function industryLabel(code: string): string {
  return INDUSTRY_LABELS[code] ?? humanise(code);
}

/** An age or duration in hours: "35 min", "5.2 h", "17 h", "74 h (3.1 d)"; "—" when unknown. */
export function hoursText(hours: number | null): string {
  if (hours === null || !Number.isFinite(hours)) return '—';
  const sign = hours < 0 ? '-' : '';
  const a = Math.abs(hours);
  if (a < 1) return `${sign}${Math.round(a * 60)} min`;
  if (a < 10) return `${sign}${a.toFixed(1)} h`;
  if (a < 48) return `${sign}${Math.round(a)} h`;
  return `${sign}${Math.round(a)} h (${(a / 24).toFixed(1)} d)`;
}

/** Time left to a deadline, or how long it is overdue. */
export function deadlineText(hoursLeft: number | null): string {
  if (hoursLeft === null || !Number.isFinite(hoursLeft)) return 'no deadline';
  if (hoursLeft < 0) return `overdue by ${hoursText(-hoursLeft)}`;
  return `${hoursText(hoursLeft)} left`;
}

/** "less than a minute", "5 min", "3 h", "2 d" between `iso` and `now`. */
export function relativeTime(iso: string, now: Date): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'an unknown time';
  const s = Math.max(0, (now.getTime() - t) / 1000);
  if (s < 60) return 'less than a minute';
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** "2026-11-26 14:05 UTC" of an RFC 3339 time. */
export function utcText(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)} UTC`;
}

export function localFreshness(generatedAt: string): string {
  return `Local figures as of ${utcText(generatedAt)} (from this workstation; work offline)`;
}

/** Team figures older than this are called out as stale. */
export const STALE_HOURS = 24;

export function teamFreshness(team: TeamFigures | null, now: Date): { text: string; stale: boolean } {
  if (!team) return { text: 'Team figures not fetched yet — sync while online', stale: true };
  const age = (now.getTime() - Date.parse(team.fetched_at)) / 3_600_000;
  const stale = age > STALE_HOURS;
  return {
    text: `Team figures fetched ${relativeTime(team.fetched_at, now)} ago${stale ? ' — stale: sync while online' : ''}`,
    stale,
  };
}

/** A share in [0, 1] as "45 %" ("4.5 %" below ten). */
export function percent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  const p = share * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)} %`;
}

/** "12 of 40 (30 %)". */
export function rateText(part: number, whole: number): string {
  return whole > 0 ? `${part} of ${whole} (${percent(part / whole)})` : `${part} of 0`;
}

export function pText(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '—';
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** Landis and Koch's words for a kappa. */
export function kappaWord(k: number): string {
  if (k < 0) return 'poor';
  if (k <= 0.2) return 'slight';
  if (k <= 0.4) return 'fair';
  if (k <= 0.6) return 'moderate';
  if (k <= 0.8) return 'substantial';
  return 'almost perfect';
}

export function kappaText(f: AgreementFigure): string {
  if (f.kappa === null) return f.note ?? 'too few second opinions';
  const interval =
    f.kappa_low !== null && f.kappa_high !== null ? ` (95 % interval ${f.kappa_low.toFixed(2)} to ${f.kappa_high.toFixed(2)})` : '';
  return `κ ${f.kappa.toFixed(2)}, ${kappaWord(f.kappa)}${interval}`;
}

export function rawAgreementText(f: AgreementFigure): string {
  if (f.raw_agreement === null) return f.note ?? 'too few second opinions';
  return `${percent(f.raw_agreement)} (${f.agreed} of ${f.samples})`;
}

export function biasStateText(state: BiasState, min: number): string {
  switch (state) {
    case 'fair':
      return 'Fair: no sign that negative reviews are removed more often';
    case 'too_few':
      return `Too few decisions to tell (at least ${min} in each star group)`;
    case 'warning':
      return 'Warning: 1–2 star reviews are removed significantly more often';
  }
}

export function starsLabel(n: number): string {
  return `${n} star${n === 1 ? '' : 's'}`;
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
  const today = formatDate(new Date(Date.parse(generatedAt) || Date.now()).toISOString());
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
    { ...team, who: 'Team' },
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
    who: f === bias.team ? 'Team' : f.label,
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
    { ...bias.team, who: 'The team' },
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
      kind: c.kind === 'audit' ? 'Audit' : c.kind === 'dispute' ? 'Dispute' : humanise(c.kind),
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
    series: [{ name: 'Decisions', data: rows.map((r) => r.decisions) }],
    xName: 'Hour (UTC)',
    yName: 'Decisions',
    values: true,
    description:
      `Bar chart of your decisions per hour over the last 24 hours: ${total} in all` +
      (peak.decisions > 0 ? `, most (${peak.decisions}) in the hour from ${peak.label} UTC` : '') +
      '. The figures are also in the table "Figures as a table".',
  });
}

export function decisionsOption(theme: ChartTheme, rows: DecisionRow[]): ChartOption {
  return barOption(theme, {
    categories: [1, 2, 3, 4, 5].map(starsLabel),
    series: rows.map((r) => ({ name: r.label, data: r.byStars })),
    xName: 'Stars of the review',
    yName: 'Decisions',
    stacked: true,
    description:
      `Stacked bar chart of your decisions by the stars of the review, one segment per decision: ` +
      rows.map((r) => `${r.label} ${r.total}`).join(', ') +
      '. The figures are also in the table "Figures as a table".',
  });
}

export function hitsOption(theme: ChartTheme, t: HitTable): ChartOption {
  return barOption(theme, {
    categories: t.days.map((d) => d.slice(5)),
    series: t.categories.map((c, j) => ({ name: c.label, data: t.counts.map((row) => row[j] ?? 0) })),
    xName: 'Day submitted (UTC)',
    yName: 'Filter hits',
    stacked: true,
    description:
      `Stacked bar chart of ARM filter hits per day and category: ${t.total} in all; ` +
      t.categories.map((c, j) => `${c.label} ${t.categoryTotals[j] ?? 0}`).join(', ') +
      '. The figures are also in the table "Figures as a table".',
  });
}

export function membersOption(theme: ChartTheme, rows: MemberRow[], hours: string[]): ChartOption {
  return barOption(theme, {
    categories: hours.map(hourLabel),
    series: rows.map((r) => ({ name: r.name, data: r.perHour })),
    xName: 'Hour (UTC)',
    yName: 'Decisions',
    stacked: true,
    description:
      `Stacked bar chart of decisions per hour over the last 24 hours, one segment per team member: ` +
      rows.map((r) => `${r.name} ${r.lastDay}`).join(', ') +
      '. The figures are also in the table "Figures as a table".',
  });
}
