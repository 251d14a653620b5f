// The chart library is loaded when the dashboard first opens, not at start-up:
// it is most of the app's script by size and only the dashboard draws charts.
export type Charts = typeof import('./echarts');

let loading: Promise<Charts> | null = null;

export function loadCharts(): Promise<Charts> {
  loading ??= import('./echarts').catch((e: unknown) => {
    loading = null; // try again on the next refresh
    throw e;
  });
  return loading;
}
