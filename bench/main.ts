/**
 * `deno task bench`: wsecho against a bare echo of each runtime, on the
 * workloads, alternating bare and wsecho (A B A B) and
 * reporting medians, spread and the wsecho ÷ bare ratio.
 *
 *   deno task bench [--quick] [--runtime deno|bun] [--engine builtin|wsecho]
 *                   [--rounds N] [--load-cmd CMD] [--workers N]
 *                   [--workload ID] [--out DIR]
 *
 * Servers are pinned to CPU 0 and the load client to CPU 1 (taskset), so
 * neither steals the other's core. See bench/README.md.
 */
import process from "node:process";
import { bunPath } from "../tools/server_process.ts";
import { loadClient } from "./load.ts";
import { log, Results } from "./measure.ts";
import { printSummary, render, writeReports } from "./output.ts";
import { loadAverage, machineInfo } from "./proc.ts";
import type { MetaRecord } from "./records.ts";
import { Rounds } from "./rounds.ts";
import { canPin, type Engine, outputOf, type RuntimeName } from "./servers.ts";
import { capIdleConnections, parseSettings } from "./settings.ts";
import { availableEngines } from "./sides.ts";

async function versionOf(command: string[]): Promise<string> {
  const output = await outputOf(command);
  return output === undefined ? "unknown" : output.split("\n")[0];
}

/**
 * The commit measured, and whether the code differed from it. Only the
 * server and benchmark code count: deno.lock churns on its own.
 */
async function wsechoVersion(): Promise<string> {
  const commit = await versionOf(["git", "rev-parse", "--short", "HEAD"]);
  const changed = await versionOf([
    "git",
    "status",
    "--porcelain",
    "--",
    "main.ts",
    "lib",
    "bench/*.ts",
    "bench/wsload",
  ]);
  return changed ? `${commit} with uncommitted changes` : commit;
}

export async function main(argv: string[]): Promise<number> {
  const settings = parseSettings(argv);
  if (!settings) return 0;
  if (settings.render) return await render(settings.render.replace(/\/$/, ""));
  const started = performance.now();
  const loadStart = loadAverage();
  const bunVersion = await versionOf([bunPath(), "--version"]);
  const load = await loadClient(settings.loadCmd);
  if (!load) return 2;
  const pinned = settings.pin && await canPin();
  if (!pinned) settings.pin = false;
  const results = new Results();
  capIdleConnections(settings, results.notes);
  if (loadStart !== undefined && loadStart > 0.5) {
    results.notes.push(
      `the machine was busy before the run (load average ${
        loadStart.toFixed(2)
      }): expect noise`,
    );
  }

  log(
    `wsecho benchmark${settings.quick ? " (quick)" : ""}: ${
      settings.runtimes.join(", ")
    }, ${settings.rounds} round(s), load client: ${load.label}`,
  );
  const engines = new Map<RuntimeName, Engine[]>();
  const missing: string[] = [];
  for (const runtime of settings.runtimes) {
    const found = await availableEngines(
      runtime,
      settings.engines,
      settings.enginesChosen,
      results,
    );
    engines.set(runtime, found.engines);
    missing.push(...found.missing);
  }
  if (settings.enginesChosen && missing.length > 0) {
    // Asked for by name, an engine the server lacks is an error, before
    // minutes of measuring without it.
    process.stderr.write(
      `bench: ${missing.join("\n")}\n` +
        "bench: leave out --engine (or pick the runtimes that have it) to measure without it\n",
    );
    return 2;
  }
  const rounds = new Rounds(settings, load, results);
  for (const runtime of settings.runtimes) {
    await rounds.runtime(runtime, engines.get(runtime)!);
  }
  if (settings.peers) await rounds.peers();

  const meta: MetaRecord = {
    type: "meta",
    date: new Date().toISOString(),
    command: ["deno task bench", ...argv].join(" "),
    machine: machineInfo(),
    versions: {
      deno: Deno.version.deno,
      bun: bunVersion,
      wsecho: await wsechoVersion(),
    },
    load_client: load.label,
    rounds: settings.rounds,
    handshake_slices: settings.scale.handshakeSlices,
    quick: settings.quick,
    pinning: settings.pin
      ? "server on CPU 0, load client on CPU 1 (scale-out: server on all CPUs, client unpinned)"
      : "none",
    load_average: { start: loadStart ?? null, end: loadAverage() ?? null },
    duration_s: (performance.now() - started) / 1000,
    notes: results.notes,
  };
  const summaries = await writeReports(
    settings.out,
    meta,
    results.runs,
    results.skipped,
    results.peerRuns,
  );
  printSummary(summaries, results.peerRuns, results.notes);
  log(
    `wrote ${settings.out}/latest.md, latest.jsonl, chart.svg in ${
      meta.duration_s.toFixed(0)
    } s`,
  );
  return results.failed ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
