/**
 * What a benchmark run writes to latest.jsonl, one JSON object a line:
 * the run's `meta`, every load-client `run` (and `peer-run`), the
 * `summary` of each workload, runtime and engine, and what was `skipped`.
 */
import type { Engine, Impl, PeerName, RuntimeName } from "./servers.ts";
import type { Summary } from "./stats.ts";
import type { LoadResult, Workload } from "./workloads.ts";

/** One load-client run against one server. */
export interface RunRecord {
  type: "run";
  runtime: RuntimeName;
  impl: Impl;
  /**
   * wsecho's `--engine` (wsecho runs only); absent in runs recorded before
   * engines existed, which ran on the built-in one.
   */
  engine?: Engine;
  workload: string;
  round: number;
  unit: Workload["unit"];
  value: number;
  p50_us: number;
  p99_us: number;
  server_cpu_pct: number;
  client_cpu_pct: number;
  errors: number;
  exit_code: number;
  result: LoadResult | null;
}

/**
 * One load-client run against a peer (`--peers`): another echo server,
 * measured for context in its own rounds, never alternated with bare.
 */
export interface PeerRunRecord
  extends Omit<RunRecord, "type" | "runtime" | "impl" | "engine"> {
  type: "peer-run";
  peer: PeerName;
  /** What the report calls it, with versions: "Node v20.20.2 + ws 8.23.0". */
  label: string;
}

/** A workload that could not run here, and why. */
export interface SkipRecord {
  type: "skipped";
  runtime: RuntimeName;
  /** Set when only wsecho on this engine was skipped. */
  engine?: Engine;
  workload: string;
  title: string;
  reason: string;
}

export interface MetaRecord {
  type: "meta";
  date: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; kernel: string };
  versions: Record<string, string>;
  load_client: string;
  rounds: number;
  /** Turns bare and wsecho take within a handshake round (absent before). */
  handshake_slices?: number;
  quick: boolean;
  pinning: string;
  load_average: { start: number | null; end: number | null };
  duration_s: number;
  notes: string[];
}

export interface SummaryRecord {
  type: "summary";
  runtime: RuntimeName;
  /** The engine of the wsecho side; bare is the same runtime's bare echo. */
  engine: Engine;
  workload: string;
  title: string;
  unit: Workload["unit"];
  higher_is_better: boolean;
  workers: number;
  bare: Summary;
  wsecho: Summary;
  /** median: wsecho's median ÷ bare's; min, max: of single round pairs. */
  ratio: Summary;
  p50_us: { bare: number; wsecho: number };
  p99_us: { bare: number; wsecho: number };
  p99_ratio: number;
  server_cpu_pct: { bare: number; wsecho: number };
  /**
   * Server CPU time per unit of work (µs per message, per MB, per
   * handshake): unlike throughput, it barely moves when other processes
   * take CPU from the server, so it shows hot-path overhead even on a busy
   * machine.
   */
  server_cpu_us_per_unit: { bare: number; wsecho: number };
  /** wsecho's CPU per unit ÷ bare's: 1.05 means 5 % more work per message. */
  cpu_cost_ratio: number;
  client_cpu_pct: { bare: number; wsecho: number };
  client_saturated: boolean;
  /** The target of the ratio, as the table shows it: "≥ 0.95", "≥ Qt 587k"… */
  target: string;
  /** The target as a ratio to bare's median (where the chart's tick goes). */
  target_ratio: number;
  meets_target: boolean;
  errors: number;
  notes: string[];
}

export type BenchRecord =
  | MetaRecord
  | RunRecord
  | SummaryRecord
  | SkipRecord
  | PeerRunRecord;

export function jsonLines(records: readonly BenchRecord[]): string {
  return records.map((record) => JSON.stringify(record, finiteOrNull)).join(
    "\n",
  ) +
    "\n";
}

/** NaN and Infinity are not JSON: they become null. */
function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}

/**
 * The records of a latest.jsonl, with the NaNs the writer turned into null
 * turned back (in the runs' own fields; the client's `result` is as read).
 */
export function parseJsonLines(text: string): BenchRecord[] {
  return text.trimEnd().split("\n").map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.type !== "run" && record.type !== "peer-run") {
      return record as unknown as BenchRecord;
    }
    for (const [key, value] of Object.entries(record)) {
      if (value === null && key !== "result") record[key] = NaN;
    }
    return record as unknown as BenchRecord;
  });
}
