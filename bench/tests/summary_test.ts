/**
 * The benchmark's statistics, apart from any rendering: medians, spread,
 * paired ratios, slices combined, summaries per workload and engine and
 * the targets they are held to; and the load client's arguments and JSON.
 */
import assert from "node:assert/strict";
import { combineSlices, type LoadRun } from "../load.ts";
import { parseStat } from "../proc.ts";
import { median, pairedRatios, summarize } from "../stats.ts";
import {
  cpuMicrosPerUnit,
  ratioTarget,
  summarizeRuns,
  summarizeWorkload,
} from "../summary.ts";
import {
  errorCount,
  FULL_SCALE,
  handshakesPerSlice,
  loadArgs,
  primaryValue,
  QUICK_SCALE,
  warmupArgs,
  WORKLOADS,
} from "../workloads.ts";
import { ENGINE_RUNS, IDLE, P16, RUNS } from "./fixtures.ts";

Deno.test("median of odd and even counts, ignoring order", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("summarize gives median, range and relative spread", () => {
  assert.deepEqual(summarize([90, 110, 100]), {
    median: 100,
    min: 90,
    max: 110,
    spread: 0.2,
    n: 3,
  });
  assert.equal(summarize([NaN, 5]).n, 1, "NaN rounds are left out");
  assert.equal(summarize([]).n, 0);
});

Deno.test("pairedRatios divides round by round", () => {
  const ratio = pairedRatios([95, 200, 99], [100, 100, 100]);
  assert.equal(ratio.median, 0.99);
  assert.equal(ratio.max, 2);
  assert.equal(pairedRatios([1], [0]).n, 0, "a zero baseline has no ratio");
});

Deno.test("parseStat reads ppid and CPU time even with spaces in the name", () => {
  const line =
    "42 (my (odd) name) S 7 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20";
  assert.deepEqual(parseStat(line), { state: "S", ppid: 7, cpuSeconds: 3 });
});

Deno.test("loadArgs speaks wsload's command line", () => {
  const [p1, , bin1m, , handshakes, idle] = WORKLOADS;
  assert.deepEqual(loadArgs(p1, FULL_SCALE, "ws://h:1/", 9), [
    "echo",
    "--url",
    "ws://h:1/",
    "-c",
    "100",
    "-s",
    "32",
    "-p",
    "1",
    "-d",
    "2",
    "--warmup",
    "0.5",
    "--text",
    "--json",
  ]);
  assert.ok(loadArgs(bin1m, FULL_SCALE, "ws://h:1/", 9).includes("--binary"));
  // A round's 30,000 handshakes go in 6 slices of 5,000.
  assert.deepEqual(loadArgs(handshakes, FULL_SCALE, "u", 9).slice(3), [
    "-n",
    "5000",
    "-c",
    "50",
    "--json",
  ]);
  const idleArgs = loadArgs(idle, FULL_SCALE, "u", 1234);
  assert.equal(idleArgs[idleArgs.indexOf("--pid") + 1], "1234");
});

Deno.test("handshakesPerSlice divides a round, never down to nothing", () => {
  assert.equal(handshakesPerSlice(FULL_SCALE), 5000);
  assert.equal(handshakesPerSlice(QUICK_SCALE), 100);
  assert.equal(
    handshakesPerSlice({ ...FULL_SCALE, handshakes: 2, handshakeSlices: 6 }),
    1,
  );
});

Deno.test("combineSlices: the rate of all slices together, CPU weighted by time", () => {
  const slice = (
    ok: number,
    seconds: number,
    serverCpuPct: number,
    clientCpuPct: number,
    p99: number,
  ): LoadRun => ({
    result: {
      mode: "connect",
      concurrency: 50,
      total: ok,
      duration_s: seconds,
      handshakes_per_s: ok / seconds,
      ok,
      failed: 0,
      client_cpu_pct: clientCpuPct,
      lat_us: { p50: p99 / 4, p99, max: p99 * 2 },
    },
    exitCode: 0,
    serverCpuPct,
    stderrTail: "",
  });
  // 5,000 in 1 s and 5,000 in 0.25 s: 10,000 in 1.25 s, not the mean rate.
  const combined = combineSlices([
    slice(5000, 1, 90, 50, 400),
    slice(5000, 0.25, 100, 70, 800),
    slice(5000, 0.75, 98, 60, 600),
  ]);
  const result = combined.result!;
  assert.equal(result.total, 15000);
  assert.equal(result.ok, 15000);
  assert.equal(result.concurrency, 50);
  assert.equal(result.duration_s, 2);
  assert.equal(result.handshakes_per_s, 7500);
  assert.equal(result.slices, 3);
  assert.equal(combined.serverCpuPct, (90 * 1 + 100 * 0.25 + 98 * 0.75) / 2);
  assert.equal(result.client_cpu_pct, (50 * 1 + 70 * 0.25 + 60 * 0.75) / 2);
  assert.deepEqual(result.lat_us, { p50: 150, p99: 600, max: 1600 });
  assert.equal(combined.exitCode, 0);
  assert.equal(primaryValue(WORKLOADS[4], result), 7500);
  assert.equal(errorCount("connect", result), 0);
});

Deno.test("combineSlices: one failed slice fails the run", () => {
  const good: LoadRun = {
    result: { ok: 10, failed: 0, duration_s: 1, lat_us: {} },
    exitCode: 0,
    serverCpuPct: 50,
    stderrTail: "",
  };
  const refused: LoadRun = {
    result: { ok: 8, failed: 2, duration_s: 1, lat_us: {} },
    exitCode: 1,
    serverCpuPct: 50,
    stderrTail: "2 handshakes failed",
  };
  const counted = combineSlices([good, refused]);
  assert.equal(counted.exitCode, 1);
  assert.equal(counted.stderrTail, "2 handshakes failed");
  assert.equal(errorCount("connect", counted.result!), 2);

  const crashed = combineSlices([good, {
    result: undefined,
    exitCode: 137,
    serverCpuPct: NaN,
    stderrTail: "killed",
  }]);
  assert.equal(crashed.result, undefined);
  assert.equal(crashed.exitCode, 137);
  assert.equal(combineSlices([]).result, undefined);
});

Deno.test("warmupArgs: unmeasured handshakes first; echo and memory runs none", () => {
  const [p1, , , , handshakes, idle] = WORKLOADS;
  assert.deepEqual(warmupArgs(handshakes, FULL_SCALE, "ws://h:1/"), [
    "connect",
    "--url",
    "ws://h:1/",
    "-n",
    "1000",
    "-c",
    "50",
    "--json",
  ]);
  assert.equal(warmupArgs(p1, FULL_SCALE, "u"), undefined);
  assert.equal(warmupArgs(idle, FULL_SCALE, "u"), undefined);
  assert.equal(
    warmupArgs(handshakes, { ...FULL_SCALE, warmupHandshakes: 0 }, "u"),
    undefined,
  );
});

Deno.test("primaryValue and errorCount read wsload's JSON", () => {
  const [p1, , , , handshakes, idle] = WORKLOADS;
  assert.equal(primaryValue(p1, { msgs_per_s: 5 }), 5);
  assert.equal(primaryValue(handshakes, { handshakes_per_s: 7 }), 7);
  assert.equal(
    primaryValue(idle, {
      rss_kib_before: 100,
      rss_kib_after: 300,
      opened: 100,
    }),
    2,
  );
  assert.equal(
    errorCount("echo", { errors: 1, conn_failures: 2, dropped: 0 }),
    3,
  );
  assert.equal(errorCount("connect", { failed: 4, connect_failures: 4 }), 4);
});

Deno.test("summarizeWorkload pairs rounds and flags a saturated client", () => {
  const row = summarizeWorkload("deno", WORKLOADS[0], RUNS);
  assert.equal(row.bare.median, 100_000);
  assert.equal(row.wsecho.median, 97_000);
  assert.equal(row.ratio.median, 0.97);
  assert.equal(row.p99_ratio, 1.05);
  assert.ok(row.meets_target);
  assert.ok(row.client_saturated);
  assert.deepEqual(row.notes, ["client-bound"]);
  assert.equal(cpuMicrosPerUnit(RUNS[0]), 10);

  const memory = summarizeWorkload("deno", WORKLOADS[5], RUNS);
  assert.equal(memory.ratio.median, 1.2);
  assert.equal(memory.meets_target, false, "memory: lower is better, ≤ 1.1");
});

Deno.test("summarizeRuns: a row per engine, the engine against the same bare runs", () => {
  const rows = summarizeRuns(ENGINE_RUNS);
  assert.deepEqual(
    rows.map((r) => [r.runtime, r.engine, r.workload]),
    [
      ["deno", "builtin", P16.id],
      ["deno", "builtin", IDLE.id],
      ["deno", "wsecho", P16.id],
      ["deno", "wsecho", IDLE.id],
    ],
  );
  const [builtin, , engine, engineIdle] = rows;
  assert.equal(builtin.bare.median, 190_000);
  assert.equal(builtin.wsecho.median, 182_500);
  assert.equal(engine.bare.median, 190_000, "the same bare runs");
  assert.equal(engine.wsecho.median, 760_000);
  assert.equal(engine.ratio.median, 4);
  assert.equal(engine.ratio.min, 3.888888888888889); // 700k / 180k
  assert.equal(engine.ratio.max, 4.1); // 820k / 200k
  // No Qt in the run: the pipelined target falls back to 4 x bare.
  assert.equal(engine.target, "≥ 4 (no Qt in this run)");
  assert.ok(engine.meets_target);
  // Memory: at most half of bare's for the engine, 1.1 for the built-in.
  assert.equal(engineIdle.target, "≤ 0.5");
  assert.ok(engineIdle.meets_target, "8 / 18 KiB is under half");
  assert.equal(rows[1].target, "≤ 1.1");
  // Runs recorded before engines existed (no `engine`) are the built-in's.
  const old = ENGINE_RUNS.filter((r) => r.engine === undefined);
  assert.deepEqual(summarizeRuns(old).map((r) => r.engine), [
    "builtin",
    "builtin",
  ]);
});

Deno.test("ratioTarget: the engine's pipelined text is held against Qt when it ran", () => {
  const qt = ratioTarget(P16, "wsecho", 800_000);
  assert.equal(qt.text, "≥ Qt (800k)");
  assert.ok(qt.met(3, 800_000));
  assert.ok(!qt.met(10, 799_999), "the median, not the ratio, decides");
  assert.equal(qt.missed, "below Qt's echoserver");
  assert.ok(!ratioTarget(P16, "wsecho").met(3.99, 1e9));
  // Everything else of the engine: the built-in's targets but memory.
  assert.equal(ratioTarget(WORKLOADS[0], "wsecho", 1).text, "≥ 0.95");
  assert.equal(ratioTarget(P16, "builtin", 800_000).text, "≥ 0.95");
  assert.ok(!ratioTarget(IDLE, "wsecho").met(0.51, 0));
});
