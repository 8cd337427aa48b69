/**
 * The benchmark's pure parts: statistics, workload
 * arguments, summaries, and the markdown / JSON Lines / SVG it writes.
 */
import assert from "node:assert/strict";
import { parseStat } from "../proc.ts";
import {
  cpuMicrosPerUnit,
  engineTable,
  formatValue,
  jsonLines,
  markdownReport,
  type MetaRecord,
  parseTableLine,
  type PeerRunRecord,
  peerTable,
  qtComparison,
  ratioTarget,
  type RunRecord,
  summarizeRuns,
  summarizeWorkload,
  svgChart,
  TABLE_HEADER,
  tableRow,
} from "../report.ts";
import { combineSlices, type LoadRun } from "../load.ts";
import { median, pairedRatios, summarize } from "../stats.ts";
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

function run(
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

const RUNS = [
  run("bare", 1, 100_000),
  run("wsecho", 1, 97_000),
  run("bare", 2, 110_000),
  run("wsecho", 2, 110_000),
  run("bare", 3, 90_000),
  run("wsecho", 3, 80_000),
  run("bare", 1, 1.5, WORKLOADS[5]),
  run("wsecho", 1, 1.8, WORKLOADS[5]),
];

const META: MetaRecord = {
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

Deno.test("formatValue keeps about three significant digits", () => {
  assert.equal(formatValue(2_104_000, "msgs/s"), "2.10M");
  assert.equal(formatValue(166_400, "msgs/s"), "166k");
  assert.equal(formatValue(6_900, "handshakes/s"), "6.9k");
  assert.equal(formatValue(2341.4, "MB/s"), "2341");
  assert.equal(formatValue(1.333, "KiB/conn"), "1.33");
  assert.equal(formatValue(NaN, "MB/s"), "n/a");
});

Deno.test("the markdown report has a well-formed table, one row per summary", () => {
  const rows = [0, 5].map((i) => summarizeWorkload("deno", WORKLOADS[i], RUNS));
  const markdown = markdownReport(META, rows, [{
    type: "skipped",
    runtime: "bun",
    workload: "x",
    title: "scale-out",
    reason: "no --workers",
  }], "chart.svg");
  const table = markdown.split("\n").filter((line) => line.startsWith("|"));
  assert.equal(table.length, 2 + rows.length);
  for (const line of table) {
    assert.equal(parseTableLine(line).length, TABLE_HEADER.length, line);
  }
  assert.match(markdown, /!\[.*\]\(chart\.svg\)/);
  assert.match(markdown, /Test CPU, 2 cores/);
  assert.match(markdown, /deno 2\.9\.6, bun 1\.4\.5/);
  assert.match(markdown, /`deno task bench`/);
  assert.match(markdown, /Skipped: scale-out on bun: no --workers/);
  assert.match(markdown, /load client saturated/);
  // Results recorded before handshake slices existed say nothing of them.
  assert.doesNotMatch(markdown, /turns each/);
  assert.match(
    markdownReport({ ...META, handshake_slices: 6 }, rows, [], "chart.svg"),
    /within a handshake round they take 6 turns each, counted together/,
  );
});

Deno.test("JSON Lines: one object per line, NaN as null", () => {
  const text = jsonLines([META, run("bare", 1, NaN)]);
  const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 2);
  assert.equal(lines[1].value, null);
});

Deno.test("the SVG chart has a bar per runtime and implementation", () => {
  const rows = [0, 5].map((i) => summarizeWorkload("deno", WORKLOADS[i], RUNS));
  const svg = svgChart(rows, "subtitle <&>");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg.trimEnd(), /<\/svg>$/);
  assert.equal((svg.match(/<rect /g) ?? []).length, 1 + 2 * rows.length);
  assert.match(svg, /subtitle &#60;&#38;&#62;/, "text is escaped");
  assert.match(svg, /0\.97×/);
  assert.match(svg, /1\.20×/);
  // Every tag that opens is closed (a cheap well-formedness check).
  const opened = (svg.match(/<(svg|text)\b/g) ?? []).length;
  const closed = (svg.match(/<\/(svg|text)>/g) ?? []).length;
  assert.equal(opened, closed);
});

function peerRun(
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

Deno.test("peerTable puts the peers' medians beside bare and wsecho", () => {
  const summaries = [0, 5].map((i) =>
    summarizeWorkload("deno", WORKLOADS[i], RUNS)
  );
  const peers = [
    peerRun("qt-echoserver", "Qt 5.15", 1, 90_000),
    peerRun("qt-echoserver", "Qt 5.15", 2, 100_000),
    peerRun("qt-echoserver", "Qt 5.15", 3, 95_000),
    peerRun("node-ws", "Node + ws", 1, 80_000),
    peerRun("qt-echoserver", "Qt 5.15", 1, 30.5, WORKLOADS[5]),
  ];
  const { header, rows } = peerTable(peers, summaries);
  assert.deepEqual(header, [
    "workload",
    "unit",
    "Qt 5.15",
    "Node + ws",
    "bare deno",
    "wsecho deno",
  ]);
  assert.deepEqual(rows, [
    [WORKLOADS[0].title, "msgs/s", "95k ±5%", "80k", "100k ±10%", "97k ±15%"],
    [WORKLOADS[5].title, "KiB/conn", "30.50", "–", "1.50", "1.80"],
  ]);

  const markdown = markdownReport(META, summaries, [], "chart.svg", peers);
  const section = markdown.slice(markdown.indexOf("## Peers"));
  assert.match(section, /context, not targets/);
  const table = section.split("\n").filter((line) => line.startsWith("|"));
  assert.equal(table.length, 2 + rows.length);
  assert.deepEqual(parseTableLine(table[0]), header);
  // Without peers there is no such section.
  assert.doesNotMatch(markdownReport(META, summaries, [], "c.svg"), /Peers/);
});

// ---- wsecho's own engine (`--engine wsecho`) beside bare and the built-in

/** A run of wsecho on its own engine. */
function engineRun(round: number, value: number, workload = WORKLOADS[0]) {
  return {
    ...run("wsecho", round, value, workload),
    engine: "wsecho" as const,
  };
}

const P16 = WORKLOADS[1];
const IDLE = WORKLOADS[5];

/** Deno: bare, built-in and engine on the pipelined and memory workloads. */
const ENGINE_RUNS: RunRecord[] = [
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
  assert.deepEqual(tableRow(engine).slice(1, 3), [
    "deno, engine wsecho",
    "msgs/s",
  ]);
  assert.equal(tableRow(builtin)[1], "deno");
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

Deno.test("with Qt in the run, the engine's pipelined row and the Qt line compare to it", () => {
  const peers = [
    peerRun("qt-echoserver", "Qt echoserver 5.15", 1, 790_000, P16),
    peerRun("qt-echoserver", "Qt echoserver 5.15", 2, 810_000, P16),
    peerRun("node-ws", "Node + ws", 1, 150_000, P16),
  ];
  const rows = summarizeRuns(ENGINE_RUNS, peers);
  const engine = rows.find((r) =>
    r.engine === "wsecho" && r.workload === P16.id
  )!;
  assert.equal(engine.target, "≥ Qt (800k)");
  assert.equal(engine.meets_target, false, "760k < Qt's 800k");
  assert.ok(engine.notes.includes("below Qt's echoserver"));
  assert.equal(engine.target_ratio, 800_000 / 190_000);

  assert.equal(
    qtComparison(rows, peers),
    "**Engine vs Qt, 32 B text, 100 conns, 16 in flight each:** engine wsecho 760k msgs/s, Qt echoserver 5.15 800k msgs/s: engine ÷ Qt = **0.95×** (target ≥ 1: **missed**); 4.00× bare deno (190k).",
  );
  assert.match(
    qtComparison(rows, [])!,
    /engine wsecho 760k msgs\/s, 4\.00× bare deno \(190k\)\. Qt's echoserver did not run in this run \(`deno task bench --peers`\), so the target falls back to ≥ 4 × bare\.$/,
  );
  // No engine row: nothing to compare.
  assert.equal(
    qtComparison(rows.filter((r) => r.engine !== "wsecho"), peers),
    undefined,
  );

  // The peers table: bare, then wsecho on each engine, per runtime.
  const { header, rows: cells } = peerTable(peers, rows);
  assert.deepEqual(header.slice(4), [
    "bare deno",
    "wsecho deno",
    "wsecho deno, engine wsecho",
  ]);
  assert.deepEqual(cells[0].slice(2), [
    "800k ±1%",
    "150k",
    "190k ±5%",
    "183k ±4%",
    "760k ±8%",
  ]);
});

Deno.test("engineTable and the report's engine section: ratio, target, met, CPU per unit", () => {
  const rows = summarizeRuns(ENGINE_RUNS);
  const { header, rows: cells } = engineTable(rows);
  assert.equal(cells.length, 2, "one row per engine summary");
  assert.deepEqual(cells[0].slice(0, 9), [
    P16.title,
    "deno",
    "msgs/s",
    "190k ±5%",
    "183k ±4%",
    "760k ±8%",
    "**4.00×** (3.89–4.10)",
    "≥ 4 (no Qt in this run)",
    "yes",
  ]);
  // 100 % of a core, the median of each run's cost: bare 1e6/180k = 5.56
  // and 1e6/200k = 5.00 give 5.28 µs; built-in 5.49; engine 1.32.
  assert.equal(
    cells[0][header.indexOf("server CPU µs per unit bare → built-in → engine")],
    "5.28 → 5.49 → 1.32 (0.25×)",
  );
  assert.equal(
    cells[0][header.indexOf("p99 bare → engine")],
    "200 µs → 210 µs (1.05×)",
  );
  assert.equal(cells[1][8], "yes");
  assert.equal(cells[1][header.indexOf("p99 bare → engine")], "–");

  const markdown = markdownReport(META, rows, [], "chart.svg");
  const section = markdown.slice(markdown.indexOf("## wsecho's own engine"));
  assert.match(section, /memory per idle connection ≤ 0\.5 × bare/);
  const table = section.split("\n").filter((line) => line.startsWith("|"));
  assert.equal(table.length, 2 + cells.length);
  assert.deepEqual(parseTableLine(table[0]), header);
  assert.match(section, /\*\*Engine vs Qt, 32 B text/);
  // The main table names the engine's rows.
  assert.match(
    markdown,
    /\| 32 B text, 100 conns, 16 in flight each \| deno, engine wsecho \|/,
  );
  // Without engine runs there is no such section.
  assert.doesNotMatch(
    markdownReport(META, summarizeRuns(RUNS), [], "chart.svg"),
    /own engine/,
  );
});

Deno.test("the SVG chart draws the engine's bar in its own colour, its target tick at its target", () => {
  const svg = svgChart(summarizeRuns(ENGINE_RUNS), "s");
  assert.equal((svg.match(/<rect /g) ?? []).length, 1 + 2 * 4);
  assert.equal((svg.match(/fill="#8250df"/g) ?? []).length, 2);
  assert.match(svg, />wsecho engine on deno</);
  assert.match(svg, />4\.00×</);
  // Memory: the engine's 8 / 18 = 0.44× meets ≤ 0.5, so it is not red.
  assert.match(svg, /fill="#1f2328">0\.44×</);
});
