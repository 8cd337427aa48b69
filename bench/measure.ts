/**
 * One measurement: the load client run once against one server, and the
 * record it leaves (logged as one line as it is kept). `Results` holds
 * every record and note of a benchmark run, for the reports.
 */
import process from "node:process";
import { formatValue } from "./format.ts";
import { type LoadCommand, type LoadRun, runLoad } from "./load.ts";
import type { PeerRunRecord, RunRecord, SkipRecord } from "./records.ts";
import { engineOf, type PeerName, type ServerSpec } from "./servers.ts";
import {
  errorCount,
  loadArgs,
  primaryValue,
  type Scale,
  secondaryValues,
  type Workload,
} from "./workloads.ts";

export function log(line: string): void {
  process.stdout.write(line + "\n");
}

/** How long one load-client run may take before it is killed. */
export function budgetMs(scale: Scale): number {
  return 60_000 +
    1000 * (scale.warmupSeconds + scale.seconds + scale.idleHoldSeconds);
}

/** The load client's run of `workload` against `server`, pinned to `clientCpus`. */
export async function measure(
  load: LoadCommand,
  scale: Scale,
  server: { url: string; pid: number },
  workload: Workload,
  clientCpus: string | undefined,
): Promise<LoadRun> {
  const args = loadArgs(workload, scale, server.url, server.pid);
  return await runLoad(load, args, clientCpus, server.pid, budgetMs(scale));
}

/** Every run, peer run, skipped workload and note of a benchmark run. */
export class Results {
  readonly runs: RunRecord[] = [];
  readonly peerRuns: PeerRunRecord[] = [];
  readonly skipped: SkipRecord[] = [];
  readonly notes: string[] = [];

  /** Keeps `run` as the result of `spec` in `round`, and logs it. */
  addRun(
    spec: ServerSpec,
    workload: Workload,
    round: number,
    run: LoadRun,
  ): void {
    const engine = engineOf(spec);
    const side = engine === "wsecho" ? "engine" : spec.impl;
    this.runs.push({
      type: "run",
      runtime: spec.runtime,
      impl: spec.impl,
      ...(engine ? { engine } : {}),
      ...runFields(
        `${spec.runtime.padEnd(4)} ${side.padEnd(6)}`,
        workload,
        round,
        run,
      ),
    });
  }

  /** Keeps `run` as the result of a peer in `round`, and logs it. */
  addPeerRun(
    peer: PeerName,
    label: string,
    workload: Workload,
    round: number,
    run: LoadRun,
  ): void {
    this.peerRuns.push({
      type: "peer-run",
      peer,
      label,
      ...runFields(peer, workload, round, run),
    });
  }

  /** Whether any run measured nothing (the client failed outright). */
  get failed(): boolean {
    return [...this.runs, ...this.peerRuns].some((run) =>
      !Number.isFinite(run.value)
    );
  }
}

/** What a run record holds of `run`; logs it under `name`. */
function runFields(
  name: string,
  workload: Workload,
  round: number,
  run: LoadRun,
): Omit<RunRecord, "type" | "runtime" | "impl" | "engine"> {
  const result = run.result;
  const secondary = result ? secondaryValues(result) : undefined;
  const fields = {
    workload: workload.id,
    round,
    unit: workload.unit,
    value: result ? primaryValue(workload, result) : NaN,
    p50_us: secondary?.p50Us ?? NaN,
    p99_us: secondary?.p99Us ?? NaN,
    server_cpu_pct: run.serverCpuPct,
    client_cpu_pct: secondary?.clientCpuPct ?? NaN,
    errors: result ? errorCount(workload.mode, result) : 1,
    exit_code: run.exitCode,
    result: result ?? null,
  };
  const problems = fields.errors > 0 || run.exitCode !== 0
    ? `  ERRORS ${fields.errors}, exit ${run.exitCode}${
      run.stderrTail ? `: ${run.stderrTail}` : ""
    }`
    : "";
  log(
    `${name} ${workload.id.padEnd(20)} round ${round}: ${
      formatValue(fields.value, workload.unit)
    } ${workload.unit}` +
      (workload.mode === "idle"
        ? ""
        : `, p99 ${fields.p99_us.toFixed(0)} µs, server CPU ${
          fields.server_cpu_pct.toFixed(0)
        }%`) +
      (Number.isFinite(fields.client_cpu_pct)
        ? `, client CPU ${fields.client_cpu_pct.toFixed(0)}%`
        : "") +
      problems,
  );
  return fields;
}
