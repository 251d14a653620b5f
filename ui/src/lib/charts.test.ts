// The dashboard's charts drawn by the real ECharts build (SVG, server-side), with
// Object.prototype frozen as in the app window (Tauri's `freezePrototype`).
import { expect, it } from 'vitest';
import {
  decisionRows,
  decisionsOption,
  FALLBACK_THEME,
  hitTable,
  hitsOption,
  hoursEnding,
  memberRows,
  membersOption,
  throughputOption,
  throughputRows,
  type ChartTheme,
} from './dashboard';

const DARK: ChartTheme = { ...FALLBACK_THEME, fg: '#e6e9ee', muted: '#9aa5b4', line: '#2f3742', bg: '#11151b' };

// Loading ECharts through the patch takes seconds on a busy machine: a generous timeout.
it('draws every dashboard chart with patterns under a frozen Object.prototype', { timeout: 60_000 }, async () => {
  Object.freeze(Object.prototype);
  const { init } = await import('./echarts');
  const hours = hoursEnding('2026-11-26T14:30:00Z');
  const options = (theme: ChartTheme) => [
    throughputOption(theme, throughputRows(hours.map((hour, i) => ({ hour, decisions: i % 4 }))).rows),
    decisionsOption(
      theme,
      decisionRows([
        { decision: 'publish', by_stars: [1, 2, 3, 4, 10] },
        { decision: 'reject:insult', by_stars: [3, 1, 0, 0, 0] },
      ]).rows,
    ),
    hitsOption(theme, hitTable([{ day: '2026-11-26', category: 'insult', hits: 2 }], '2026-11-26T10:00:00Z', 14)),
    membersOption(
      theme,
      memberRows([
        { name: 'Mo <b>', role: 'moderator', per_hour: hours.map(() => 1), decisions_in_window: 9, decisions: [] },
        { name: 'Kim', role: 'moderator', per_hour: hours.map(() => 2), decisions_in_window: 12, decisions: [] },
      ]),
      hours,
    ),
  ];
  const chart = init(null as unknown as HTMLElement, null, { renderer: 'svg', ssr: true, width: 640, height: 260 });
  try {
    for (const theme of [FALLBACK_THEME, DARK]) {
      for (const option of options(theme)) {
        chart.setOption(option, { notMerge: true });
        const svg = chart.renderToSVGString();
        expect(svg).toMatch(/^<svg/);
        // Decal patterns: the bars are told apart without colour.
        expect(svg).toContain('<pattern');
        expect(svg).toContain(theme.muted);
      }
    }
    chart.setOption(options(FALLBACK_THEME)[1]!, { notMerge: true });
    const svg = chart.renderToSVGString();
    expect(svg).toContain('Published');
    expect(svg).toContain('5 stars');
    // Names are text in the SVG, never markup.
    chart.setOption(options(FALLBACK_THEME)[3]!, { notMerge: true });
    expect(chart.renderToSVGString()).toContain('Mo &lt;b&gt;');
  } finally {
    chart.dispose();
  }
});
