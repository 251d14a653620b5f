// ECharts, tree-shaken to what the dashboard draws: bar charts on a grid with a
// legend, a tooltip drawn in the SVG (richText: no HTML with inline styles, which
// the CSP forbids) and the aria description with decal patterns. The SVG
// renderer needs no eval and no inline script or style element. Loaded on
// demand through `loadCharts` (charts.ts), so it is a chunk of its own.
import { BarChart } from 'echarts/charts';
import { AriaComponent, GridSimpleComponent, LegendScrollComponent, TooltipComponent } from 'echarts/components';
import { init, use, type EChartsType } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, GridSimpleComponent, LegendScrollComponent, TooltipComponent, AriaComponent, SVGRenderer]);

export { init, type EChartsType };
