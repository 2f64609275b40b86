/**
 * A horizontal bar chart of events per CPU-core-second per query, as a self-contained SVG (no
 * library, no fonts to load): one row per query, one bar per system, the value printed at the end.
 */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** Query name -> events per core-second. */
  readonly values: ReadonlyMap<string, number>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function human(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}K`;
  return String(Math.round(n));
}

export function barChartSvg(title: string, queries: readonly string[], series: readonly ChartSeries[]): string {
  const bar = 14;
  const rowGap = 8;
  const left = 60;
  const width = 720;
  const plot = width - left - 90;
  const top = 48;
  const rowH = series.length * bar + rowGap;
  const height = top + queries.length * rowH + 20;
  let max = 1;
  for (const s of series) for (const v of s.values.values()) max = Math.max(max, v);
  // Log scale: the queries span three orders of magnitude.
  const scale = (v: number): number => (v <= 1 ? 0 : (Math.log10(v) / Math.log10(max)) * plot);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`);
  series.forEach((s, i) => {
    out.push(`<rect x="${left + i * 160}" y="28" width="10" height="10" fill="${s.color}"/><text x="${left + i * 160 + 14}" y="37">${esc(s.name)}</text>`);
  });
  queries.forEach((q, r) => {
    const y0 = top + r * rowH;
    out.push(`<text x="${left - 8}" y="${y0 + (series.length * bar) / 2 + 4}" text-anchor="end">${esc(q)}</text>`);
    series.forEach((s, i) => {
      const v = s.values.get(q);
      const y = y0 + i * bar;
      if (v === undefined) {
        out.push(`<text x="${left + 4}" y="${y + bar - 3}" fill="#999">not measured</text>`);
        return;
      }
      const w = Math.max(1, scale(v));
      out.push(`<rect x="${left}" y="${y + 1}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${s.color}"/>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + bar - 3}">${human(v)}</text>`);
    });
  });
  out.push(`<text x="${left}" y="${height - 6}" fill="#666">events per CPU-core-second, log scale</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
