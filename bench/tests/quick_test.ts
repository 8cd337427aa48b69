/**
 * Runs `deno task bench --quick` once, so the benchmark cannot rot: both
 * runtimes, every workload, the bare baselines, wsecho on both engines,
 * the load client and the report writers. It checks the shape of what comes out, never the speed:
 * performance thresholds are not asserted in tests.
 */
import assert from "node:assert/strict";
import { hasCompiler } from "../wsload.ts";
import { missingTool, skippable } from "../../tests/helpers/skip.ts";
import { parseTableLine, TABLE_HEADER } from "../tables.ts";
import { qtEchoserverPath } from "../servers.ts";
import { WORKLOADS } from "../workloads.ts";
import { ROOT, RUNTIMES } from "../../tools/server_process.ts";

/** The lines of the first markdown table in `markdown`. */
function firstTable(markdown: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.startsWith("|"));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith("|"));
  return lines.slice(start, end < 0 ? undefined : end);
}

const noCompiler = missingTool(
  hasCompiler(),
  "no C compiler (cc) to build the load client",
);

Deno.test({
  ...skippable(
    "bench --quick measures every workload on both runtimes and writes its reports",
    noCompiler,
  ),
  // The benchmark pins processes to CPUs and starts its own servers.
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "wsecho-bench-" });
    try {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "bench/main.ts", "--quick", "--out", out],
        cwd: ROOT,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(stdout) +
        new TextDecoder().decode(stderr);
      assert.equal(code, 0, text);

      // JSON Lines: a meta record, runs, and a summary with numbers for
      // every workload and runtime.
      const records = (await Deno.readTextFile(`${out}/latest.jsonl`))
        .trimEnd().split("\n").map((line) => JSON.parse(line));
      assert.equal(records[0].type, "meta");
      assert.equal(records[0].quick, true);
      const summaries = records.filter((r) => r.type === "summary");
      // wsecho's own engine on Deno is measured like the built-in one: a
      // side that fails to start must fail this test, not only leave a note.
      assert.ok(
        summaries.some((r) => r.runtime === "deno" && r.engine === "wsecho"),
        `no rows for --engine wsecho on deno; notes: ${
          records[0].notes.join("; ")
        }`,
      );
      const targets = [
        ...RUNTIMES.map((runtime) => ({ runtime, engine: "builtin" })),
        { runtime: "deno", engine: "wsecho" },
      ];
      for (const { runtime, engine } of targets) {
        for (const workload of WORKLOADS) {
          const row = summaries.find((r) =>
            r.runtime === runtime && r.engine === engine &&
            r.workload === workload.id
          );
          assert.ok(
            row,
            `${workload.id} on ${runtime} (${engine}) has a summary`,
          );
          for (const side of ["bare", "wsecho"]) {
            assert.equal(
              typeof row[side].median,
              "number",
              `${workload.id} ${runtime} ${side}`,
            );
            assert.ok(
              row[side].median > 0 || workload.unit === "KiB/conn",
              `${workload.id} ${runtime} ${side}: nothing measured`,
            );
          }
          assert.equal(typeof row.ratio.median, "number");
          assert.equal(row.errors, 0, `${workload.id} on ${runtime}: errors`);
          // The load client reports its own CPU wherever it is busy.
          if (workload.mode !== "idle") {
            for (const side of ["bare", "wsecho"]) {
              assert.ok(
                row.client_cpu_pct[side] > 0,
                `${workload.id} ${runtime} ${side}: no client CPU`,
              );
            }
          }
        }
      }
      // Scale-out: measured where the server supports it, else a reason.
      for (const runtime of RUNTIMES) {
        const measured = summaries.some((r) =>
          r.runtime === runtime && r.workers > 1
        );
        const skipped = records.some((r) =>
          r.type === "skipped" && r.runtime === runtime
        );
        assert.ok(measured || skipped, `scale-out on ${runtime}`);
      }

      // The markdown table parses, one row per summary.
      const markdown = await Deno.readTextFile(`${out}/latest.md`);
      const table = firstTable(markdown);
      assert.deepEqual(parseTableLine(table[0]), TABLE_HEADER);
      assert.equal(table.length - 2, summaries.length);
      // The engine's own section, with a row per engine summary.
      const engineRows = summaries.filter((r) => r.engine === "wsecho");
      const section = markdown.indexOf("## wsecho's own engine");
      assert.ok(section >= 0, "the engine's section");
      const engineTable = firstTable(markdown.slice(section));
      assert.equal(engineTable.length - 2, engineRows.length);
      for (const line of table) {
        assert.equal(parseTableLine(line).length, TABLE_HEADER.length, line);
      }

      const svg = await Deno.readTextFile(`${out}/chart.svg`);
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg.trimEnd(), /<\/svg>$/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  ...skippable(
    "bench --quick --peers measures Qt's echoserver and Node + ws beside the runtimes",
    noCompiler,
  ),
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "wsecho-bench-peers-" });
    try {
      const workloads = ["bin1m", "handshakes", "idle"];
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          "bench/main.ts",
          "--quick",
          "--peers",
          "--runtime",
          "deno",
          ...workloads.flatMap((id) => ["--workload", id]),
          "--out",
          out,
        ],
        cwd: ROOT,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(stdout) +
        new TextDecoder().decode(stderr);
      assert.equal(code, 0, text);

      const records = (await Deno.readTextFile(`${out}/latest.jsonl`))
        .trimEnd().split("\n").map((line) => JSON.parse(line));
      const peerRuns = records.filter((r) => r.type === "peer-run");
      // Node + ws needs only node and `deno task setup`; Qt's example is a
      // Debian package (.ci/run installs it): without it, a note says so.
      const expected = qtEchoserverPath()
        ? ["qt-echoserver", "node-ws"]
        : ["node-ws"];
      if (!qtEchoserverPath()) {
        assert.ok(
          records[0].notes.some((n: string) =>
            n.startsWith("peer qt-echoserver skipped")
          ),
        );
      }
      for (const peer of expected) {
        for (const id of workloads) {
          const run = peerRuns.find((r) =>
            r.peer === peer && r.workload.startsWith(id)
          );
          assert.ok(run, `${peer} measured ${id}`);
          assert.equal(run.errors, 0, `${peer} ${id}: errors`);
          assert.ok(
            run.unit === "KiB/conn"
              ? Number.isFinite(run.value)
              : run.value > 0,
            `${peer} ${id}: nothing measured`,
          );
        }
      }
      const labels = [...new Set(peerRuns.map((r) => r.label))];
      assert.equal(labels.length, expected.length);

      const markdown = await Deno.readTextFile(`${out}/latest.md`);
      const section = markdown.slice(markdown.indexOf("## Peers"));
      const table = section.split("\n").filter((l) => l.startsWith("|"));
      assert.deepEqual(parseTableLine(table[0]), [
        "workload",
        "unit",
        ...labels,
        "bare deno",
        "wsecho deno",
        "wsecho deno, engine wsecho",
      ]);
      assert.equal(table.length, 2 + workloads.length);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
