/**
 * Server-rendered SVG charts. Each chart is a <figure>: the SVG carries <title> and <desc> for
 * assistive technology, and a table of the same numbers follows it, because a chart alone shuts
 * out screen-reader users and anyone who wants the exact value. Colours are in the SVG itself
 * (no inline style attribute, which the console's content security policy forbids).
 */
import { barLayout, DEFAULT_PLOT, lineLayout, type Plot, round, pathOf, type Series } from './geometry.js';

/** Colour-blind-safe (Okabe-Ito), each at least 3:1 against white for the bars and lines. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#7A6A00', '#56408C', '#A0522D', '#333333'] as const;
const colour = (i: number): string => PALETTE[i % PALETTE.length] as string;

export interface ChartProps {
  /** Unique on the page: ids of the title and description derive from it. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  /** Header of the table's first column (what the categories are, e.g. "Dag"). */
  readonly categoryHeader: string;
  /** Text of the table's disclosure ("Vis som tabel"). */
  readonly tableLabel: string;
  readonly plot?: Plot;
  /** For the value axis of a line of shares: a fixed top such as 100 (per cent). */
  readonly fixedMax?: number;
  /** In a line chart a NaN value is a gap (no data that day), shown as a dash in the table. */
  readonly unit?: string;
}

function Axes(props: { plot: Plot; ticks: readonly { value: number; y: number }[]; categoryX: readonly number[]; categories: readonly string[]; unit: string }) {
  const { plot } = props;
  // A long run of days would overlap their labels; show about eight of them.
  const every = Math.max(1, Math.ceil(props.categories.length / 8));
  return (
    <g class="axes" font-size="11" fill="#333333">
      {props.ticks.map((t) => (
        <g>
          <line x1={plot.left} x2={plot.width - plot.right} y1={round(t.y)} y2={round(t.y)} stroke="#d0d0d0" stroke-width="1" />
          <text x={plot.left - 6} y={round(t.y) + 4} text-anchor="end">
            {`${t.value}${props.unit}`}
          </text>
        </g>
      ))}
      <line x1={plot.left} x2={plot.width - plot.right} y1={plot.height - plot.bottom} y2={plot.height - plot.bottom} stroke="#333333" stroke-width="1" />
      {props.categoryX.map((x, i) =>
        i % every === 0 ? (
          <text x={round(x)} y={plot.height - plot.bottom + 16} text-anchor="middle">
            {props.categories[i] ?? ''}
          </text>
        ) : null,
      )}
    </g>
  );
}

function Legend(props: { plot: Plot; series: readonly Series[] }) {
  const y = props.plot.height - 14;
  return (
    <g class="legend" font-size="11" fill="#333333">
      {props.series.map((s, i) => (
        <g>
          <rect x={props.plot.left + i * 150} y={y - 9} width="10" height="10" fill={colour(i)} />
          <text x={props.plot.left + i * 150 + 14} y={y}>
            {s.name}
          </text>
        </g>
      ))}
    </g>
  );
}

function DataTable(props: ChartProps) {
  return (
    <details class="chart-data">
      <summary>{props.tableLabel}</summary>
      <table>
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">{props.categoryHeader}</th>
            {props.series.map((s) => (
              <th scope="col">{s.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.categories.map((c, ci) => (
            <tr>
              <th scope="row">{c}</th>
              {props.series.map((s) => (
                <td>{Number.isFinite(s.values[ci] ?? 0) ? `${s.values[ci] ?? 0}${props.unit ?? ''}` : '–'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Frame(props: ChartProps & { children: unknown; plot: Plot }) {
  const titleId = `${props.id}-title`;
  const descId = `${props.id}-desc`;
  return (
    <figure class="chart" id={props.id}>
      <figcaption>{props.title}</figcaption>
      <svg xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${props.plot.width} ${props.plot.height}`} width={props.plot.width} height={props.plot.height} role="img" aria-labelledby={`${titleId} ${descId}`}>
        <title id={titleId}>{props.title}</title>
        <desc id={descId}>{props.description}</desc>
        {props.children}
      </svg>
      <DataTable {...props} />
    </figure>
  );
}

export function BarChart(props: ChartProps) {
  const plot = props.plot ?? DEFAULT_PLOT;
  const layout = barLayout(plot, props.categories.length, props.series);
  return (
    <Frame {...props} plot={plot}>
      <Axes plot={plot} ticks={layout.ticks} categoryX={layout.categoryX} categories={props.categories} unit={props.unit ?? ''} />
      <g class="bars">
        {layout.bars.map((b) =>
          b.height > 0 ? (
            <rect x={round(b.x)} y={round(b.y)} width={round(b.width)} height={round(b.height)} fill={colour(b.series)}>
              <title>{`${props.series[b.series]?.name ?? ''}, ${props.categories[b.category] ?? ''}: ${b.value}${props.unit ?? ''}`}</title>
            </rect>
          ) : null,
        )}
      </g>
      <Legend plot={plot} series={props.series} />
    </Frame>
  );
}

export function LineChart(props: ChartProps) {
  const plot = props.plot ?? DEFAULT_PLOT;
  const layout = lineLayout(plot, props.categories.length, props.series, props.fixedMax);
  return (
    <Frame {...props} plot={plot}>
      <Axes plot={plot} ticks={layout.ticks} categoryX={layout.categoryX} categories={props.categories} unit={props.unit ?? ''} />
      <g class="lines">
        {layout.lines.map((l) => (
          <g>
            <path d={pathOf(l.points)} fill="none" stroke={colour(l.series)} stroke-width="2" />
            {l.points.map((p) => (
              <circle cx={round(p.x)} cy={round(p.y)} r="3" fill={colour(l.series)}>
                <title>{`${props.series[l.series]?.name ?? ''}, ${props.categories[p.category] ?? ''}: ${p.value}${props.unit ?? ''}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </g>
      <Legend plot={plot} series={props.series} />
    </Frame>
  );
}
