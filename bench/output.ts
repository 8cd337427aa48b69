/**
 * Reporting: the three files a run leaves (latest.md, latest.jsonl,
 * chart.svg), the tables printed at its end, and `--render DIR`, which
 * rebuilds a folder's files from the runs recorded in its latest.jsonl.
 */
import { svgChart } from "./chart.ts";
import { targetName } from "./format.ts";
import { log } from "./measure.ts";
import {
  type BenchRecord,
  jsonLines,
  type MetaRecord,
  parseJsonLines,
  type PeerRunRecord,
  type RunRecord,
  type SkipRecord,
  type SummaryRecord,
} from "./records.ts";
import { summarizeRuns } from "./summary.ts";
import { markdownReport, peerTable, TABLE_HEADER, tableRow } from "./tables.ts";

export /** Writes latest.md, latest.jsonl and chart.svg to `out`; returns the summaries. */
async function writeReports(
  out: string,
  meta: MetaRecord,
  runs: readonly RunRecord[],
  skipped: readonly SkipRecord[],
  peerRuns: readonly PeerRunRecord[],
): Promise<SummaryRecord[]> {
  const summaries = summarizeRuns(runs, peerRuns);
  const { machine, versions } = meta;
  const subtitle =
    `${machine.cpu}, ${machine.cores} cores · Deno ${versions.deno} · Bun ${versions.bun} · ${meta.load_client} · ${
      meta.date.slice(0, 10)
    }`;
  await Deno.mkdir(out, { recursive: true });
  const records: BenchRecord[] = [
    meta,
    ...runs,
    ...summaries,
    ...skipped,
    ...peerRuns,
  ];
  await Deno.writeTextFile(
    `${out}/latest.md`,
    markdownReport(meta, summaries, skipped, "chart.svg", peerRuns),
  );
  await Deno.writeTextFile(`${out}/latest.jsonl`, jsonLines(records));
  await Deno.writeTextFile(`${out}/chart.svg`, svgChart(summaries, subtitle));
  return summaries;
}

/**
 * `--render DIR`: rebuilds the reports in DIR from the runs recorded in its
 * latest.jsonl, without measuring again (after a change to the reports).
 */
export async function render(dir: string): Promise<number> {
  const records = parseJsonLines(
    await Deno.readTextFile(`${dir}/latest.jsonl`),
  );
  const meta = records.find((r): r is MetaRecord => r.type === "meta");
  if (!meta) throw new Error(`${dir}/latest.jsonl has no meta record`);
  const runs = records.filter((r): r is RunRecord => r.type === "run");
  const peerRuns = records.filter((r): r is PeerRunRecord =>
    r.type === "peer-run"
  );
  const skipped = records.filter((r): r is SkipRecord => r.type === "skipped");
  const note = `reports re-rendered from the recorded runs on ${
    new Date().toISOString().slice(0, 10)
  } (deno task bench --render ${dir})`;
  const renderedMeta = {
    ...meta,
    notes: [
      ...meta.notes.filter((n) => !n.startsWith("reports re-rendered")),
      note,
    ],
  };
  const summaries = await writeReports(
    dir,
    renderedMeta,
    runs,
    skipped,
    peerRuns,
  );
  log(plainTable(summaries.map(tableRow)));
  log(
    `rewrote ${dir}/latest.md, latest.jsonl, chart.svg from ${runs.length} runs`,
  );
  return 0;
}

/** The markdown table, aligned for a terminal. */
function plainTable(rows: string[][], header = TABLE_HEADER): string {
  const all = [header, ...rows].map((row) =>
    row.map((cell) => cell.replaceAll("**", ""))
  );
  const widths = header.map((_, i) =>
    Math.max(...all.map((row) => row[i].length))
  );
  return all.map((row) =>
    row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()
  ).join("\n");
}

/** The tables and notes printed at the end of a run. */
export function printSummary(
  summaries: readonly SummaryRecord[],
  peerRuns: readonly PeerRunRecord[],
  notes: readonly string[],
): void {
  log("");
  log(plainTable(summaries.map(tableRow)));
  log("");
  if (peerRuns.length > 0) {
    const peers = peerTable(peerRuns, summaries);
    log(plainTable(peers.rows, peers.header));
    log("");
  }
  for (const row of summaries.filter((s) => s.client_saturated)) {
    log(
      `note: the load client saturated on ${row.title} (${
        targetName(row)
      }): the ratio there says little`,
    );
  }
  for (const note of notes) log(`note: ${note}`);
}
