/**
 * chart.svg: the bar chart of wsecho against bare per workload, for the
 * README. A renderer of the summaries only.
 */
import { formatValue } from "./format.ts";
import type { SummaryRecord } from "./records.ts";
import { TARGETS } from "./summary.ts";

const COLORS = {
  bare: "#9aa0a6",
  deno: "#1f6feb",
  bun: "#d9822b",
  engine: "#8250df",
  target: "#d1242f",
  text: "#1f2328",
  muted: "#59636e",
};

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A horizontal bar chart: per workload, runtime and engine, a grey bar for
 * bare and a coloured one for wsecho, on the same scale, with a red tick
 * where the target lies (0.95 × bare for throughput, 1.1 × bare for memory;
 * the engine's own targets on its rows), the ratio on the right, and
 * remarks under it (client-bound, p99 missed).
 */
export function svgChart(
  summaries: readonly SummaryRecord[],
  subtitle: string,
): string {
  const width = 900;
  const labelWidth = 250;
  const barArea = 360;
  const barHeight = 14;
  const gap = 4;
  const workloads = [...new Set(summaries.map((row) => row.workload))];
  const parts: string[] = [];
  let y = 56;
  for (const id of workloads) {
    const rows = summaries.filter((row) => row.workload === id);
    parts.push(
      `<text x="16" y="${y + 11}" font-weight="600">${
        escapeXml(rows[0].title)
      }</text>`,
    );
    y += 20;
    for (const row of rows) {
      const bare = row.bare.median;
      const mine = row.wsecho.median;
      const target = bare * row.target_ratio;
      const scale = Math.max(bare, mine, target) || 1;
      const length = (value: number) =>
        Number.isFinite(value) ? Math.max(1, (value / scale) * barArea) : 0;
      const bars: Array<[string, string, number]> = [
        [`bare ${row.runtime}`, COLORS.bare, bare],
        row.engine === "wsecho"
          ? [`wsecho engine on ${row.runtime}`, COLORS.engine, mine]
          : [`wsecho on ${row.runtime}`, COLORS[row.runtime], mine],
      ];
      for (const [label, color, value] of bars) {
        // The wsecho bar's value starts after the target tick, not under it.
        const textX = labelWidth + 6 +
          (color === COLORS.bare
            ? length(value)
            : Math.max(length(value), length(target) + 2));
        parts.push(
          `<text x="${labelWidth - 8}" y="${
            y + 11
          }" text-anchor="end" fill="${COLORS.muted}">${
            escapeXml(label)
          }</text>`,
          `<rect x="${labelWidth}" y="${y}" width="${
            length(value).toFixed(1)
          }" height="${barHeight}" fill="${color}" rx="2"/>`,
          `<text x="${textX.toFixed(1)}" y="${y + 11}">${
            escapeXml(`${formatValue(value, row.unit)} ${row.unit}`)
          }</text>`,
        );
        y += barHeight + gap;
      }
      const ratio = row.ratio.median;
      // The tick spans the wsecho bar only: that is the bar it judges.
      const tickX = labelWidth + length(target);
      const wsechoTop = y - (barHeight + gap);
      const ratioOk = row.higher_is_better
        ? ratio >= row.target_ratio
        : ratio <= row.target_ratio;
      const remarks = [
        ...(row.client_saturated ? ["client-bound"] : []),
        ...(row.p99_ratio > TARGETS.p99Ratio
          ? [`p99 ${row.p99_ratio.toFixed(2)}×`]
          : []),
      ];
      parts.push(
        `<line x1="${tickX.toFixed(1)}" x2="${tickX.toFixed(1)}" y1="${
          wsechoTop - 2
        }" y2="${
          wsechoTop + barHeight + 2
        }" stroke="${COLORS.target}" stroke-width="2"/>`,
        `<text x="${width - 16}" y="${
          y - 2 * (barHeight + gap) + 11
        }" text-anchor="end" font-weight="600" font-size="13" fill="${
          ratioOk ? COLORS.text : COLORS.target
        }">${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a"}</text>`,
      );
      if (remarks.length > 0) {
        parts.push(
          `<text x="${width - 16}" y="${
            wsechoTop + 11
          }" text-anchor="end" font-size="11" fill="${COLORS.muted}">${
            remarks.join(" · ")
          }</text>`,
        );
      }
      y += 6;
    }
    y += 8;
  }
  const height = y + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" fill="${COLORS.text}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="700">wsecho vs the bare runtime echo</text>`,
    `<text x="16" y="42" fill="${COLORS.muted}">${escapeXml(subtitle)}</text>`,
    ...parts,
    `<text x="16" y="${
      height - 24
    }" fill="${COLORS.muted}">Medians of alternating rounds; wsecho ÷ bare on the right, red when it misses the target.</text>`,
    `<text x="16" y="${
      height - 8
    }" fill="${COLORS.muted}">Red tick on the wsecho bar: the target (0.95 × bare throughput, 1.1 × bare memory; the engine's: see latest.md).</text>`,
    "</svg>",
    "",
  ].join("\n");
}
