/** The real chart renderer: uPlot on a canvas, VS Code theme colours. */
import uPlot from 'uplot';
import { ChartData, lrTickLabels, SERIES_LABEL, SeriesKey } from './chartData';
import { ChartFactory } from './chartView';

function cssVar(el: HTMLElement, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

export const uplotFactory: ChartFactory = (container: HTMLElement, data: ChartData) => {
  const fg = cssVar(container, '--vscode-foreground', '#ccc');
  const grid = cssVar(container, '--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  const c1 = cssVar(container, '--vscode-charts-blue', '#3794ff');
  const c2 = cssVar(container, '--vscode-charts-orange', '#d18616');
  const c3 = cssVar(container, '--vscode-charts-green', '#89d185');
  const c4 = cssVar(container, '--vscode-charts-purple', '#b180d7');
  // As narrow as the side bar's minimum (170 px less the paddings): a 200 px floor was clipped.
  const width = Math.max(120, container.clientWidth || 260);
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const plotted = data.plotted();
  // One entry per series with points (issue 25 polish: no "eval loss" legend without an eval).
  const style: Record<SeriesKey, uPlot.Series> = {
    loss: { stroke: c1, width: 1.5, spanGaps: true },
    evalLoss: { stroke: c2, width: 1.5, spanGaps: true, points: { show: true, size: 4 } },
    lr: { stroke: c3, width: 1, scale: 'lr', spanGaps: true, value: (_u, v) => (v == null ? '–' : v.toExponential(1)) },
    // GRPO: the mean reward, on its own scale (rewards are weighted sums, not losses).
    reward: { stroke: c4, width: 1.5, scale: 'reward', spanGaps: true },
  };
  const opts: uPlot.Options = {
    width,
    height: 160,
    scales: { x: { time: false }, lr: { auto: true }, reward: { auto: true } },
    // Labels only: live values read '--' until the pointer hovers the chart (issue 25 polish).
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    series: [{ label: 'step' }, ...plotted.map((k) => ({ label: SERIES_LABEL[k], ...style[k] }))],
    axes: [
      { ...axis },
      ...(plotted.includes('loss') || plotted.includes('evalLoss') ? [{ ...axis, size: 44 }] : []),
      // A learning rate of exactly 0 (the end of a schedule) reads 0, not 0e+0; ticks never repeat a label.
      ...(plotted.includes('lr')
        ? [{ ...axis, scale: 'lr', side: 1, size: 50, grid: { show: false }, values: (_u: uPlot, vals: number[]) => lrTickLabels(vals) }]
        : []),
    ],
  };
  const plot = new uPlot(opts, data.aligned() as uPlot.AlignedData, container);
  const canvas = container.querySelector('canvas');
  if (canvas) {
    canvas.setAttribute('data-testid', 'loss-chart-canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', data.describe());
  }
  return {
    setData: (d) => plot.setData(d as uPlot.AlignedData),
    setSize: (w) => plot.setSize({ width: Math.max(120, w), height: 160 }),
    destroy: () => plot.destroy(),
  };
};
