/**
 * The markdown report (latest.md) and its tables: the main table, the
 * engine's section, the line against Qt's echoserver, and the peers.
 * Renderers only: every number comes from summary.ts.
 */
import {
  formatCost,
  formatMicros,
  formatPercent,
  formatRatio,
  formatSummary,
  formatTimes,
  formatValue,
  targetName,
} from "./format.ts";
import type {
  MetaRecord,
  PeerRunRecord,
  SkipRecord,
  SummaryRecord,
} from "./records.ts";
import { summarize } from "./stats.ts";
import { ENGINE_TARGETS, peerMedian, QT_PEER, TARGETS } from "./summary.ts";
import { WORKLOADS } from "./workloads.ts";

export const TABLE_HEADER = [
  "workload",
  "runtime",
  "unit",
  "bare",
  "wsecho",
  "wsecho/bare",
  "target",
  "p50 bare → wsecho",
  "p99 bare → wsecho",
  "server CPU % bare / wsecho",
  "load client CPU % bare / wsecho",
  "server CPU µs per unit bare → wsecho",
  "notes",
];

export function tableRow(row: SummaryRecord): string[] {
  const latency = row.unit !== "KiB/conn";
  return [
    row.title,
    targetName(row),
    row.unit,
    formatSummary(row.bare, row.unit),
    formatSummary(row.wsecho, row.unit),
    formatRatio(row.ratio),
    row.target,
    latency
      ? `${formatMicros(row.p50_us.bare)} → ${formatMicros(row.p50_us.wsecho)}`
      : "–",
    latency
      ? `${formatMicros(row.p99_us.bare)} → ${formatMicros(row.p99_us.wsecho)}`
      : "–",
    latency
      ? `${formatPercent(row.server_cpu_pct.bare)} / ${
        formatPercent(row.server_cpu_pct.wsecho)
      }`
      : "–",
    latency
      ? `${formatPercent(row.client_cpu_pct.bare)} / ${
        formatPercent(row.client_cpu_pct.wsecho)
      }`
      : "–",
    latency ? formatCost(row) : "–",
    row.notes.join(", ") || "–",
  ];
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) =>
    `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
  ].join("\n");
}

export function markdownReport(
  meta: MetaRecord,
  summaries: readonly SummaryRecord[],
  skipped: readonly SkipRecord[],
  chartFile: string,
  peerRuns: readonly PeerRunRecord[] = [],
): string {
  const versions = Object.entries(meta.versions)
    .map(([name, version]) => `${name} ${version}`).join(", ");
  const loadAverage = (value: number | null) =>
    value === null ? "n/a" : value.toFixed(2);
  const saturated = summaries.filter((row) => row.client_saturated);
  const lines = [
    `# wsecho benchmark${
      meta.quick ? " (quick mode: numbers are not meaningful)" : ""
    }`,
    "",
    `![wsecho vs bare runtime, per workload](${chartFile})`,
    "",
    `- Command: \`${meta.command}\``,
    `- Date: ${meta.date}; took ${meta.duration_s.toFixed(0)} s`,
    `- Machine: ${meta.machine.cpu}, ${meta.machine.cores} cores, ${meta.machine.memoryGiB} GiB, Linux ${meta.machine.kernel}`,
    `- Runtimes: ${versions}`,
    `- Load client: ${meta.load_client}`,
    `- Pinning: ${meta.pinning}`,
    `- Rounds: ${meta.rounds}, bare and wsecho alternating (A B A B)${
      meta.handshake_slices
        ? `; within a handshake round they take ${meta.handshake_slices} turns each, counted together`
        : ""
    }; values are medians, ±x% is half the min–max spread; wsecho/bare is the ratio of the medians, with the lowest and highest ratio of a single back-to-back pair in brackets`,
    "- Server CPU per unit: µs of server CPU time per message (msgs/s rows), per MB (MB/s rows) or per handshake; the ratio in brackets is wsecho's cost ÷ bare's, which other load on the machine barely moves",
    `- Load average (1 min) at start / end: ${
      loadAverage(meta.load_average.start)
    } / ${loadAverage(meta.load_average.end)}`,
    "",
    markdownTable(TABLE_HEADER, summaries.map(tableRow)),
    "",
  ];
  if (saturated.length > 0) {
    lines.push(
      `**The load client saturated** (≥ ${TARGETS.clientSaturatedPct} % of a core) on: ${
        saturated.map((row) => `${row.title} (${targetName(row)})`).join("; ")
      }. There the client, not the server, sets the pace, and the ratio says little.`,
      "",
    );
  }
  for (const skip of skipped) {
    const where = skip.engine
      ? targetName({ runtime: skip.runtime, engine: skip.engine })
      : skip.runtime;
    lines.push(`- Skipped: ${skip.title} on ${where}: ${skip.reason}`);
  }
  for (const note of meta.notes) lines.push(`- Note: ${note}`);
  if (skipped.length + meta.notes.length > 0) lines.push("");
  lines.push(
    "Targets: wsecho ≥ 0.95 × bare on throughput with p99 ≤ 1.1 × bare, and memory per idle connection ≤ 1.1 × bare. Absolute numbers vary between machines; compare the ratios of one run.",
    "",
  );
  const engine = engineTable(summaries);
  if (engine.rows.length > 0) {
    const qt = qtComparison(summaries, peerRuns);
    lines.push(
      "## wsecho's own engine (`--engine wsecho`)",
      "",
      `The rows "engine wsecho" above, against bare Deno in the same rounds (bare, wsecho, wsecho --engine wsecho, bare, …), with issue 12's targets: pipelined 32 B text at least as fast as Qt's echoserver in the same run (≥ ${ENGINE_TARGETS.pipelinedBareRatio} × bare without \`--peers\`), memory per idle connection ≤ ${ENGINE_TARGETS.memoryRatio} × bare, every other workload ≥ ${TARGETS.throughputRatio} × bare, p99 ≤ ${TARGETS.p99Ratio} × bare.`,
      "",
      markdownTable(engine.header, engine.rows),
      "",
      ...(qt ? [qt, ""] : []),
    );
  }
  if (peerRuns.length > 0) {
    const table = peerTable(peerRuns, summaries);
    lines.push(
      "## Peers",
      "",
      "Other WebSocket echo servers, measured in the same run with the same load client and pinning, each in its own rounds after the runtimes (not alternated with bare, so compare them loosely): context, not targets. Medians of the rounds.",
      "",
      markdownTable(table.header, table.rows),
      "",
    );
  }
  return lines.join("\n");
}

/**
 * The engine's rows beside bare and the built-in engine of the same
 * runtime and run: ratio and target, p99, and server CPU per unit.
 */
export function engineTable(
  summaries: readonly SummaryRecord[],
): { header: string[]; rows: string[][] } {
  const header = [
    "workload",
    "runtime",
    "unit",
    "bare",
    "wsecho, built-in engine",
    "wsecho, engine wsecho",
    "engine/bare",
    "target",
    "met",
    "p99 bare → engine",
    "server CPU µs per unit bare → built-in → engine",
    "load client CPU % bare / engine",
  ];
  const rows = summaries.filter((row) => row.engine === "wsecho").map((row) => {
    const builtin = summaries.find((other) =>
      other.engine === "builtin" && other.runtime === row.runtime &&
      other.workload === row.workload
    );
    const latency = row.unit !== "KiB/conn";
    const cost = (value: number | undefined) =>
      value === undefined || !Number.isFinite(value)
        ? "n/a"
        : value.toFixed(row.server_cpu_us_per_unit.bare < 10 ? 2 : 0);
    return [
      row.title,
      row.runtime,
      row.unit,
      formatSummary(row.bare, row.unit),
      builtin ? formatSummary(builtin.wsecho, row.unit) : "–",
      formatSummary(row.wsecho, row.unit),
      formatRatio(row.ratio),
      row.target,
      row.meets_target ? "yes" : "**no**",
      latency
        ? `${formatMicros(row.p99_us.bare)} → ${
          formatMicros(row.p99_us.wsecho)
        } (${formatTimes(row.p99_ratio)})`
        : "–",
      latency
        ? `${cost(row.server_cpu_us_per_unit.bare)} → ${
          cost(builtin?.server_cpu_us_per_unit.wsecho)
        } → ${cost(row.server_cpu_us_per_unit.wsecho)} (${
          formatTimes(row.cpu_cost_ratio)
        })`
        : "–",
      latency
        ? `${formatPercent(row.client_cpu_pct.bare)} / ${
          formatPercent(row.client_cpu_pct.wsecho)
        }`
        : "–",
    ];
  });
  return { header, rows };
}

/**
 * The line that holds the engine's pipelined 32 B text against Qt's
 * echoserver of the same run (engine ÷ Qt), or says that Qt did not run;
 * `undefined` when the engine did not run that workload.
 */
export function qtComparison(
  summaries: readonly SummaryRecord[],
  peerRuns: readonly PeerRunRecord[],
): string | undefined {
  const id = ENGINE_TARGETS.pipelinedWorkload;
  const row = summaries.find((r) => r.engine === "wsecho" && r.workload === id);
  if (!row || row.wsecho.n === 0) return undefined;
  const engine = `${formatValue(row.wsecho.median, row.unit)} ${row.unit}`;
  const vsBare = `${formatTimes(row.ratio.median)} bare ${row.runtime} (${
    formatValue(row.bare.median, row.unit)
  })`;
  const qt = peerMedian(peerRuns, QT_PEER, id);
  if (qt === undefined) {
    return `**Engine vs Qt, ${row.title}:** engine wsecho ${engine}, ${vsBare}. Qt's echoserver did not run in this run (\`deno task bench --peers\`), so the target falls back to ≥ ${ENGINE_TARGETS.pipelinedBareRatio} × bare.`;
  }
  const label = peerRuns.find((run) => run.peer === QT_PEER)!.label;
  const ratio = row.wsecho.median / qt;
  return `**Engine vs Qt, ${row.title}:** engine wsecho ${engine}, ${label} ${
    formatValue(qt, row.unit)
  } ${row.unit}: engine ÷ Qt = **${formatTimes(ratio)}** (target ≥ 1: ${
    ratio >= 1 ? "met" : "**missed**"
  }); ${vsBare}.`;
}

/**
 * The peers' medians per workload beside those of the bare runtimes and
 * wsecho (on each engine) from the same run.
 */
export function peerTable(
  peerRuns: readonly PeerRunRecord[],
  summaries: readonly SummaryRecord[],
): { header: string[]; rows: string[][] } {
  const labels = [...new Set(peerRuns.map((run) => run.label))];
  const runtimes = [...new Set(summaries.map((row) => row.runtime))];
  // Per runtime: its bare echo, then wsecho on each engine that ran.
  const columns = runtimes.flatMap((runtime) => [
    { runtime, engine: undefined },
    ...(["builtin", "wsecho"] as const)
      .filter((engine) =>
        summaries.some((r) => r.runtime === runtime && r.engine === engine)
      )
      .map((engine) => ({ runtime, engine })),
  ]);
  const header = [
    "workload",
    "unit",
    ...labels,
    ...columns.map(({ runtime, engine }) =>
      engine === undefined
        ? `bare ${runtime}`
        : `wsecho ${targetName({ runtime, engine })}`
    ),
  ];
  const workloads = [...new Set(peerRuns.map((run) => run.workload))];
  const rows = workloads.map((id) => {
    const some = peerRuns.find((run) => run.workload === id)!;
    const peerCells = labels.map((label) => {
      const values = peerRuns.filter((run) =>
        run.workload === id && run.label === label
      ).map((run) => run.value);
      return values.length === 0
        ? "–"
        : formatSummary(summarize(values), some.unit);
    });
    const runtimeCells = columns.map(({ runtime, engine }) => {
      const row = summaries.find((r) =>
        r.runtime === runtime && r.workload === id &&
        (engine === undefined || r.engine === engine)
      );
      if (!row) return "–";
      return formatSummary(engine ? row.wsecho : row.bare, row.unit);
    });
    const title = WORKLOADS.find((w) => w.id === id)?.title ?? id;
    return [title, some.unit, ...peerCells, ...runtimeCells];
  });
  return { header, rows };
}

/** Splits a markdown table line into its cells (for tests and tools). */
export function parseTableLine(line: string): string[] {
  return line.trim().replace(/^\||\|$/g, "").split(/(?<!\\)\|/).map((cell) =>
    cell.trim()
  );
}
