/**
 * Chart geometry, pure: value scales with round tick values, and the rectangles and points of a
 * grouped bar chart and a line chart in SVG user units. The SVG components (svg.tsx) only draw
 * what this computes, so the arithmetic is tested by tables without rendering.
 */

export interface Plot {
  /** Outer size of the SVG. */
  readonly width: number;
  readonly height: number;
  /** Room for the axis labels: left for the value axis, bottom for the categories. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export const DEFAULT_PLOT: Plot = { width: 640, height: 260, left: 48, right: 12, top: 16, bottom: 48 };

/** 1, 2 or 5 times a power of ten at or above `raw`: ticks people read at a glance. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * power;
}

/** Ticks from 0 to the first round value at or above `max`, about `count` of them. Counts are whole. */
export function valueTicks(max: number, count = 4, integers = true): number[] {
  const top = Math.max(0, max);
  if (top === 0) return [0, 1];
  let step = niceStep(top / count);
  if (integers) step = Math.max(1, Math.ceil(step));
  const ticks: number[] = [];
  for (let v = 0; v < top + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= top) break;
  }
  return ticks;
}

/** The y coordinate of a value, 0 at the bottom of the plot and `max` at its top. */
export function yOf(plot: Plot, max: number, value: number): number {
  const inner = plot.height - plot.top - plot.bottom;
  return plot.top + inner - (max > 0 ? (Math.max(0, value) / max) * inner : 0);
}

export interface Series {
  readonly name: string;
  /** One value per category, in the categories' order. */
  readonly values: readonly number[];
}

export interface Bar {
  readonly series: number;
  readonly category: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly value: number;
}

export interface Layout {
  readonly ticks: readonly { value: number; y: number }[];
  /** Centre of each category on the x axis, for its label. */
  readonly categoryX: readonly number[];
  readonly max: number;
}

/** Grouped bars: one band per category, split between the series, a gap of 20 % around each group. */
export function barLayout(plot: Plot, categories: number, series: readonly Series[]): Layout & { bars: Bar[] } {
  const ticks = valueTicks(Math.max(0, ...series.flatMap((s) => s.values)));
  const max = ticks.at(-1) ?? 1;
  const inner = plot.width - plot.left - plot.right;
  const band = categories > 0 ? inner / categories : inner;
  const group = band * 0.8;
  const barWidth = series.length > 0 ? group / series.length : group;
  const bars: Bar[] = [];
  series.forEach((s, si) => {
    for (let ci = 0; ci < categories; ci += 1) {
      const value = s.values[ci] ?? 0;
      const y = yOf(plot, max, value);
      bars.push({ series: si, category: ci, x: plot.left + ci * band + band * 0.1 + si * barWidth, y, width: barWidth, height: plot.height - plot.bottom - y, value });
    }
  });
  return {
    ticks: ticks.map((value) => ({ value, y: yOf(plot, max, value) })),
    categoryX: Array.from({ length: categories }, (_, ci) => plot.left + ci * band + band / 2),
    max,
    bars,
  };
}

/** Lines: a point per category at the centre of its band, so bar and line charts line up. */
export function lineLayout(plot: Plot, categories: number, series: readonly Series[], fixedMax?: number): Layout & { lines: { series: number; points: { x: number; y: number; value: number; category: number }[] }[] } {
  const ticks = fixedMax !== undefined ? valueTicks(fixedMax, 4, false) : valueTicks(Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite))));
  const max = ticks.at(-1) ?? 1;
  const inner = plot.width - plot.left - plot.right;
  const band = categories > 0 ? inner / categories : inner;
  const categoryX = Array.from({ length: categories }, (_, ci) => plot.left + ci * band + band / 2);
  return {
    ticks: ticks.map((value) => ({ value, y: yOf(plot, max, value) })),
    categoryX,
    max,
    lines: series.map((s, si) => ({
      series: si,
      // A value that is not a number (NaN) is a gap: no point, and the line breaks there.
      points: categoryX.flatMap((x, ci) => {
        const value = s.values[ci] ?? 0;
        return Number.isFinite(value) ? [{ x, y: yOf(plot, max, value), value, category: ci }] : [];
      }),
    })),
  };
}

/** An SVG path through the points ("M x y L x y ..."), rounded to tenths; a gap in the categories starts a new stroke. */
export function pathOf(points: readonly { x: number; y: number; category?: number }[]): string {
  return points
    .map((p, i) => {
      const prev = points[i - 1];
      const joined = prev !== undefined && (p.category === undefined || prev.category === undefined || p.category === prev.category + 1);
      return `${joined ? 'L' : 'M'}${round(p.x)} ${round(p.y)}`;
    })
    .join(' ');
}

export const round = (v: number): number => Math.round(v * 10) / 10;
