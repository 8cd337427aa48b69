/**
 * Run records for the statistics and rendering tests: three rounds of
 * bare and wsecho on Deno, wsecho's own engine, and peers.
 */
import type { MetaRecord, PeerRunRecord, RunRecord } from "../records.ts";
import { WORKLOADS } from "../workloads.ts";

export function run(
  impl: "bare" | "wsecho",
  round: number,
  value: number,
  workload = WORKLOADS[0],
): RunRecord {
  return {
    type: "run",
    runtime: "deno",
    impl,
    workload: workload.id,
    round,
    unit: workload.unit,
    value,
    p50_us: 100,
    p99_us: impl === "bare" ? 200 : 210,
    server_cpu_pct: 100,
    client_cpu_pct: 95,
    errors: 0,
    exit_code: 0,
    result: null,
  };
}

export const RUNS = [
  run("bare", 1, 100_000),
  run("wsecho", 1, 97_000),
  run("bare", 2, 110_000),
  run("wsecho", 2, 110_000),
  run("bare", 3, 90_000),
  run("wsecho", 3, 80_000),
  run("bare", 1, 1.5, WORKLOADS[5]),
  run("wsecho", 1, 1.8, WORKLOADS[5]),
];

export const META: MetaRecord = {
  type: "meta",
  date: "2026-11-25T00:00:00.000Z",
  command: "deno task bench",
  machine: { cpu: "Test CPU", cores: 2, memoryGiB: 24, kernel: "6.1" },
  versions: { deno: "2.9.6", bun: "1.4.5" },
  load_client: "test",
  rounds: 3,
  quick: false,
  pinning: "none",
  load_average: { start: 0.1, end: null },
  duration_s: 12,
  notes: ["a note"],
};

export function peerRun(
  peer: PeerRunRecord["peer"],
  label: string,
  round: number,
  value: number,
  workload = WORKLOADS[0],
): PeerRunRecord {
  const { type: _type, runtime: _runtime, impl: _impl, ...fields } = run(
    "bare",
    round,
    value,
    workload,
  );
  return { type: "peer-run", peer, label, ...fields };
}

/** A run of wsecho on its own engine. */
export function engineRun(
  round: number,
  value: number,
  workload = WORKLOADS[0],
) {
  return {
    ...run("wsecho", round, value, workload),
    engine: "wsecho" as const,
  };
}

export const P16 = WORKLOADS[1];
export const IDLE = WORKLOADS[5];

/** Deno: bare, built-in and engine on the pipelined and memory workloads. */
export const ENGINE_RUNS: RunRecord[] = [
  run("bare", 1, 180_000, P16),
  run("wsecho", 1, 175_000, P16),
  engineRun(1, 700_000, P16),
  run("bare", 2, 200_000, P16),
  run("wsecho", 2, 190_000, P16),
  engineRun(2, 820_000, P16),
  run("bare", 1, 18, IDLE),
  run("wsecho", 1, 19, IDLE),
  engineRun(1, 8, IDLE),
];
