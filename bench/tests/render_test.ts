/**
 * The renderers: the markdown report and its tables, JSON Lines and the
 * SVG chart, each fed summaries computed by summary.ts.
 */
import assert from "node:assert/strict";
import { svgChart } from "../chart.ts";
import { formatValue } from "../format.ts";
import { jsonLines, parseJsonLines, type RunRecord } from "../records.ts";
import { summarizeRuns, summarizeWorkload } from "../summary.ts";
import {
  engineTable,
  markdownReport,
  parseTableLine,
  peerTable,
  qtComparison,
  TABLE_HEADER,
  tableRow,
} from "../tables.ts";
import { WORKLOADS } from "../workloads.ts";
import { ENGINE_RUNS, META, P16, peerRun, run, RUNS } from "./fixtures.ts";

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
  // Read back (--render), a run's NaN is NaN again; meta stays as written.
  const [meta, back] = parseJsonLines(text) as [typeof META, RunRecord];
  assert.ok(Number.isNaN(back.value));
  assert.equal(back.result, null, "the client's result is kept as read");
  assert.equal(meta.load_average.end, null);
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

Deno.test("the table names the engine's rows apart from the built-in's", () => {
  const [builtin, , engine] = summarizeRuns(ENGINE_RUNS);
  assert.deepEqual(tableRow(engine).slice(1, 3), [
    "deno, engine wsecho",
    "msgs/s",
  ]);
  assert.equal(tableRow(builtin)[1], "deno");
});
