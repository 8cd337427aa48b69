/**
 * Numbers and names for people, shared by the tables and the chart.
 */
import type { SummaryRecord } from "./records.ts";
import type { Summary } from "./stats.ts";
import type { Workload } from "./workloads.ts";

/** What the tables call a summary's wsecho: "deno", "deno, engine wsecho". */
export function targetName(
  row: Pick<SummaryRecord, "runtime" | "engine">,
): string {
  return row.engine === "wsecho"
    ? `${row.runtime}, engine wsecho`
    : row.runtime;
}

/** `2.10M`, `166k`, `2341`, `1.27`: three significant digits or so. */
export function formatValue(value: number, unit: Workload["unit"]): string {
  if (!Number.isFinite(value)) return "n/a";
  if (unit === "KiB/conn") return value.toFixed(2);
  if (unit === "MB/s") {
    return value >= 100 ? value.toFixed(0) : value.toFixed(1);
  }
  const abs = Math.abs(value);
  if (abs >= 1e6) return (value / 1e6).toFixed(2) + "M";
  if (abs >= 1e4) return (value / 1e3).toFixed(0) + "k";
  if (abs >= 1e3) return (value / 1e3).toFixed(1) + "k";
  return value.toFixed(0);
}

export function formatSummary(
  summary: Summary,
  unit: Workload["unit"],
): string {
  if (summary.n === 0) return "n/a";
  const spread = summary.n > 1 && Number.isFinite(summary.spread)
    ? ` ±${(summary.spread * 50).toFixed(0)}%`
    : "";
  return formatValue(summary.median, unit) + spread;
}

export function formatRatio(ratio: Summary): string {
  if (ratio.n === 0 || !Number.isFinite(ratio.median)) return "n/a";
  const range = ratio.n > 1
    ? ` (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`
    : "";
  return `**${ratio.median.toFixed(2)}×**${range}`;
}

export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return "n/a";
  return us >= 10_000 ? `${(us / 1000).toFixed(0)} ms` : `${us.toFixed(0)} µs`;
}

export function formatPercent(value: number): string {
  return Number.isFinite(value) ? value.toFixed(0) : "n/a";
}

export function formatCost(row: SummaryRecord): string {
  const { bare, wsecho } = row.server_cpu_us_per_unit;
  if (!Number.isFinite(bare) || !Number.isFinite(wsecho)) return "n/a";
  const digits = bare < 10 ? 2 : 0;
  return `${bare.toFixed(digits)} → ${wsecho.toFixed(digits)} (${
    row.cpu_cost_ratio.toFixed(2)
  }×)`;
}

export function formatTimes(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a";
}
