/**
 * The CPU profile summarizer (bench/cpuprofile.ts) on small synthetic
 * profiles shaped like those `deno run --cpu-prof` writes.
 */
import assert from "node:assert/strict";
import {
  areaOf,
  type CpuProfile,
  formatProfileSummary,
  type ProfileNode,
  selfTimes,
  shortUrl,
  summarizeProfile,
} from "../cpuprofile.ts";

const ROOT = "/repo/";

function node(
  id: number,
  functionName: string,
  url: string,
  lineNumber: number,
  hitCount: number,
): ProfileNode {
  return {
    id,
    callFrame: { functionName, url, lineNumber, columnNumber: 0 },
    hitCount,
  };
}

/**
 * 10 ms sampled every 1 ms: 4 samples idle, 3 in `unmask`, 1 in an
 * anonymous callback of the same file, 1 in an op, 1 in GC.
 */
const NODES = [
  node(1, "(root)", "", -1, 0),
  node(2, "(idle)", "", -1, 4),
  node(3, "unmask", "file:///repo/lib/protocol/unmask.ts", 11, 3),
  node(4, "", "file:///repo/lib/protocol/unmask.ts", 40, 1),
  node(5, "op_net_write", "", -1, 1),
  node(6, "(garbage collector)", "", -1, 1),
];
const SAMPLES = [2, 3, 3, 2, 4, 5, 2, 3, 6, 2];

function profile(timeDeltas?: number[]): CpuProfile {
  return {
    nodes: NODES,
    startTime: 1_000_000,
    endTime: 1_010_000,
    samples: timeDeltas ? SAMPLES : undefined,
    timeDeltas,
  };
}

Deno.test("selfTimes: a sample owns the time since the one before it", () => {
  // Uneven deltas: the 2nd idle sample (index 3) comes 4 ms after the one
  // before it, so it owns 4 ms, not 1.
  const deltas = [1000, 1000, 1000, 4000, 1000, 1000, 250, 250, 250, 250];
  const times = selfTimes(profile(deltas));
  assert.equal(times.get(3), 1000 + 1000 + 250); // samples 1, 2, 7
  assert.equal(times.get(2), 1000 + 4000 + 250 + 250); // samples 0, 3, 6, 9
  assert.equal(times.get(6), 250);
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, 10_000, "all of the profile's time is owned once");
});

Deno.test("selfTimes: without samples, hits share the duration", () => {
  const times = selfTimes(profile());
  assert.equal(times.get(3), 3000);
  assert.equal(times.get(2), 4000);
  assert.equal(times.has(1), false, "a node never hit has no self time");
});

Deno.test("summarizeProfile ranks self time by function, file and area, idle apart", () => {
  const summary = summarizeProfile(profile(Array(10).fill(1000)), ROOT);
  assert.equal(summary.totalMs, 10);
  assert.equal(summary.idleMs, 4);
  assert.equal(summary.busyMs, 6);
  assert.equal(summary.samples, 10);
  assert.deepEqual(
    summary.functions.map((f) => [f.name, f.ms, f.share]),
    [
      ["unmask (lib/protocol/unmask.ts:12)", 3, 0.5],
      ["(anonymous) (lib/protocol/unmask.ts:41)", 1, 1 / 6],
      ["(garbage collector)", 1, 1 / 6],
      ["op_net_write", 1, 1 / 6],
    ],
  );
  assert.deepEqual(summary.files[0], {
    name: "lib/protocol/unmask.ts",
    ms: 4,
    share: 4 / 6,
  });
  assert.deepEqual(
    summary.areas.map((a) => [a.name, a.ms]),
    [
      ["lib/protocol/", 4],
      ["Deno ops (Rust, called from JavaScript)", 1],
      ["garbage collector", 1],
    ],
  );
});

Deno.test("shortUrl and areaOf: project folders, Deno's runtime, npm, V8", () => {
  assert.equal(shortUrl("file:///repo/main.ts", ROOT), "main.ts");
  assert.equal(shortUrl("file:///repo/main.ts", "/repo"), "main.ts");
  assert.equal(
    shortUrl(
      "file:///root/.cache/deno/npm/registry.npmjs.org/@logtape/logtape/2.4.2/dist/logger.js",
      ROOT,
    ),
    "npm:@logtape/logtape/dist/logger.js",
  );
  assert.equal(
    shortUrl("file:///repo/node_modules/ws/lib/receiver.js", ROOT),
    "npm:ws/lib/receiver.js",
  );
  assert.equal(
    shortUrl("ext:deno_net/01_net.js", ROOT),
    "ext:deno_net/01_net.js",
  );

  const area = (name: string, url: string) => areaOf(name, url, ROOT);
  assert.equal(
    area("x", "file:///repo/lib/runtime/wsecho/connection.ts"),
    "lib/runtime/wsecho/",
  );
  assert.equal(area("x", "file:///repo/lib/core/hub.ts"), "lib/core/");
  assert.equal(area("x", "file:///repo/main.ts"), "main.ts");
  assert.equal(area("x", "file:///repo/bench/bare_deno.ts"), "bench/");
  assert.equal(
    area("write", "ext:deno_net/01_net.js"),
    "Deno runtime (ext:deno_net)",
  );
  assert.equal(area("x", "file:///repo/node_modules/ws/lib/a.js"), "npm:ws");
  assert.equal(
    area("op_ws_send_text", ""),
    "Deno ops (Rust, called from JavaScript)",
  );
  assert.equal(
    area("(program)", ""),
    "V8 (program: compiler, runtime, unattributed)",
  );
  assert.equal(area("(garbage collector)", ""), "garbage collector");
  assert.equal(area("ArrayBuffer", ""), "native builtins");
});

Deno.test("formatProfileSummary: markdown tables, top N, CPU outside JavaScript", () => {
  const summary = summarizeProfile(profile(Array(10).fill(1000)), ROOT);
  const text = formatProfileSummary(summary, "Where it goes", 2, 9);
  assert.match(text, /^## Where it goes\n/);
  assert.match(
    text,
    /0\.01 s profiled, 0\.01 s busy, 0\.00 s idle; 10 samples/,
  );
  assert.match(text, /used 0\.01 s of CPU meanwhile: 0\.00 s of it outside/);
  assert.match(text, /### Top 2 functions/);
  const rows = text.split("\n").filter((line) => line.startsWith("| "));
  // Areas: header, rule and 3; functions: header, rule and 2 (the top 2).
  assert.equal(rows.length, 5 + 4);
  assert.ok(
    rows.includes("| unmask (lib/protocol/unmask.ts:12) | 3 | 50.0 % |"),
  );
  assert.ok(!text.includes("op_net_write |"), "the 4th function is cut");
  assert.doesNotMatch(
    formatProfileSummary(summary, "t"),
    /of CPU meanwhile/,
    "without the server's CPU time, no such line",
  );
});
