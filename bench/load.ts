/**
 * Runs one load-client process against a server and measures the server's
 * CPU while it runs. The client is the C load generator wsload
 * (`bench/wsload/wsload.c`, built on first use: see `wsload.ts`), or any
 * command given with `--load-cmd` / `WSECHO_LOAD` that speaks the same
 * arguments and prints the same JSON.
 */
import process from "node:process";
import { cpuSeconds, processTree } from "./proc.ts";
import { wrapCommand } from "./servers.ts";
import { median } from "./stats.ts";
import type { LoadResult } from "./workloads.ts";
import { buildWsload, compilerVersion, WsloadBuildError } from "./wsload.ts";

/** How the load client is started: its argv before the workload's arguments. */
export interface LoadCommand {
  /** For the report, e.g. "bench/wsload/wsload.c (gcc …)" or the command. */
  label: string;
  argv(args: string[]): string[];
}

/**
 * The client a run uses: `external` (a shell command prefix, from
 * `--load-cmd` or `$WSECHO_LOAD`) if given, else wsload built from the
 * repository's source. Where it cannot be built (no C compiler), says why
 * in one line on stderr and returns `undefined`.
 */
export async function loadClient(
  external?: string,
): Promise<LoadCommand | undefined> {
  if (external) return externalClient(external);
  let binary: string;
  try {
    binary = await buildWsload();
  } catch (error) {
    if (!(error instanceof WsloadBuildError)) throw error;
    process.stderr.write(`bench: ${error.message}\n`);
    return undefined;
  }
  return {
    label: `bench/wsload/wsload.c (${await compilerVersion()}, -O2)`,
    argv: (args) => [binary, ...args],
  };
}

/** A shell command prefix (`/tmp/wsload`, `taskset -c 1 ./wsload`, …). */
function externalClient(shellCommand: string): LoadCommand {
  return {
    label: shellCommand,
    argv: (
      args,
    ) => ["bash", "-c", `exec ${shellCommand} "$@"`, "load", ...args],
  };
}

export interface LoadRun {
  result: LoadResult | undefined;
  exitCode: number;
  /** Server CPU over the client's measuring window, % of one core. */
  serverCpuPct: number;
  /** The last lines the client printed on stderr, for error reports. */
  stderrTail: string;
}

/**
 * Samples the CPU time of a server's processes (found once: the worker
 * processes exist once it listens). Only their own /proc/PID/stat is read
 * per sample, to stay light next to the server.
 */
class CpuMeter {
  private readonly pids: number[];
  readonly samples: Array<{ at: number; cpu: number }> = [];

  constructor(pid: number) {
    this.pids = processTree(pid);
  }

  sample(): void {
    let cpu = 0;
    for (const pid of this.pids) cpu += cpuSeconds(pid) ?? 0;
    this.samples.push({ at: performance.now(), cpu });
  }

  /** % of one core over the last `seconds` before the final sample. */
  percentOver(seconds: number): number {
    const last = this.samples.at(-1);
    if (!last || this.samples.length < 2) return NaN;
    const from = last.at - seconds * 1000;
    const first = this.samples.find((s) => s.at >= from - 50) ??
      this.samples[0];
    const wall = (last.at - first.at) / 1000;
    return wall > 0 ? (last.cpu - first.cpu) / wall * 100 : NaN;
  }
}

/**
 * Runs `load` with `args`, pinned to `cpus`, while sampling the server's
 * CPU every 100 ms; gives up after `timeoutMs`.
 */
export async function runLoad(
  load: LoadCommand,
  args: string[],
  cpus: string | undefined,
  serverPid: number,
  timeoutMs: number,
): Promise<LoadRun> {
  const meter = new CpuMeter(serverPid);
  const [program, ...rest] = wrapCommand(load.argv(args), cpus);
  meter.sample();
  const child = new Deno.Command(program, {
    args: rest,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const ticker = setInterval(() => meter.sample(), 100);
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  const output = await child.output();
  meter.sample();
  clearInterval(ticker);
  clearTimeout(killer);

  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout).trim().split("\n");
  const stderr = decoder.decode(output.stderr).trim().split("\n");
  const result = parseLastJson(stdout);
  const window = measuringSeconds(result);
  return {
    result,
    exitCode: output.code,
    serverCpuPct: meter.percentOver(window ?? Infinity),
    stderrTail: stderr.slice(-5).join("\n"),
  };
}

/** The last line that parses as a JSON object. */
export function parseLastJson(lines: string[]): LoadResult | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith("{")) continue;
    try {
      return JSON.parse(line);
    } catch { /* not JSON after all */ }
  }
  return undefined;
}

/** How long the client measured: its duration, or hold for idle. */
function measuringSeconds(result: LoadResult | undefined): number | undefined {
  const seconds = result?.duration_s ?? result?.hold_s;
  return typeof seconds === "number" ? seconds : undefined;
}

/** Fields of the client's JSON that describe the run rather than count. */
const SETTINGS_FIELDS = new Set(["mode", "url", "raw", "concurrency"]);

/**
 * One run out of the slices of a handshake round, as if the client had run
 * them back to back: counts add up, the rate is all handshakes over all
 * the slices' time, and CPU shares are weighted by time. Latency
 * percentiles cannot be merged exactly; each slice holds as many
 * handshakes, so the median of the slices' p50 and p99 stands for them.
 */
export function combineSlices(slices: readonly LoadRun[]): LoadRun {
  const results = slices.map((slice) => slice.result);
  const failed = slices.find((slice) => slice.exitCode !== 0);
  const combined: LoadRun = {
    result: undefined,
    exitCode: failed?.exitCode ?? 0,
    serverCpuPct: NaN,
    stderrTail: failed?.stderrTail ?? slices.at(-1)?.stderrTail ?? "",
  };
  if (results.length === 0 || results.some((r) => r === undefined)) {
    return combined;
  }
  const known = results as LoadResult[];
  const seconds = known.map((r) => numberIn(r, "duration_s"));
  const total = sum(seconds);
  const weighted = (values: number[]) =>
    sum(values.map((value, i) => value * seconds[i])) / total;
  const result: LoadResult = { ...known[0], slices: known.length };
  for (const [key, value] of Object.entries(known[0])) {
    if (typeof value === "number" && !SETTINGS_FIELDS.has(key)) {
      result[key] = sum(known.map((r) => numberIn(r, key)));
    }
  }
  result.handshakes_per_s = numberIn(result, "ok") / total;
  result.client_cpu_pct = weighted(
    known.map((r) => numberIn(r, "client_cpu_pct")),
  );
  const latency = (key: string) =>
    known.map((r) => numberIn(r.lat_us as LoadResult, key));
  result.lat_us = {
    p50: median(latency("p50")),
    p99: median(latency("p99")),
    max: Math.max(...latency("max")),
  };
  combined.result = result;
  combined.serverCpuPct = weighted(slices.map((slice) => slice.serverCpuPct));
  return combined;
}

function numberIn(result: LoadResult | undefined, key: string): number {
  const value = result?.[key];
  return typeof value === "number" ? value : NaN;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
