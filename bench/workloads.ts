/**
 * The benchmark's workloads, and how each one becomes a
 * load-client command line (that of wsload, bench/wsload/wsload.c) and one
 * number to compare.
 */

export type LoadMode = "echo" | "connect" | "idle";

export interface Workload {
  /** Stable id, used in JSON Lines and on the command line (`--workload`). */
  id: string;
  /** What a person reads in the table. */
  title: string;
  mode: LoadMode;
  unit: "msgs/s" | "MB/s" | "handshakes/s" | "KiB/conn";
  /** Throughput: more is better. Memory: less is better. */
  higherIsBetter: boolean;
  /** Server processes or threads; more than 1 is the scale-out workload. */
  workers: number;
  /** For echo: connections, message size, messages in flight per connection. */
  conns?: number;
  size?: number;
  pipeline?: number;
  binary?: boolean;
}

export const WORKLOADS: readonly Workload[] = [
  {
    id: "text32-c100-p1",
    title: "32 B text, 100 conns, 1 in flight each",
    mode: "echo",
    unit: "msgs/s",
    higherIsBetter: true,
    workers: 1,
    conns: 100,
    size: 32,
    pipeline: 1,
  },
  {
    id: "text32-c100-p16",
    title: "32 B text, 100 conns, 16 in flight each",
    mode: "echo",
    unit: "msgs/s",
    higherIsBetter: true,
    workers: 1,
    conns: 100,
    size: 32,
    pipeline: 16,
  },
  {
    id: "bin64k-c10-p4",
    title: "64 KiB binary, 10 conns, 4 in flight",
    mode: "echo",
    unit: "MB/s",
    higherIsBetter: true,
    workers: 1,
    conns: 10,
    size: 65536,
    pipeline: 4,
    binary: true,
  },
  {
    id: "bin1m-c4-p2",
    title: "1 MiB binary, 4 conns, 2 in flight",
    mode: "echo",
    unit: "MB/s",
    higherIsBetter: true,
    workers: 1,
    conns: 4,
    size: 1048576,
    pipeline: 2,
    binary: true,
  },
  {
    id: "handshakes-c50",
    title: "handshakes/s (connect, echo, close; 50 at once)",
    mode: "connect",
    unit: "handshakes/s",
    higherIsBetter: true,
    workers: 1,
    conns: 50,
  },
  {
    id: "idle-memory",
    title: "memory per idle connection",
    mode: "idle",
    unit: "KiB/conn",
    higherIsBetter: false,
    workers: 1,
  },
];

/** The scale-out workload: the 16-in-flight text load on N workers. */
export function scaleOutWorkload(workers: number): Workload {
  const base = WORKLOADS[1];
  return {
    ...base,
    id: `${base.id}-w${workers}`,
    title: `${base.title}, ${workers} server workers`,
    workers,
  };
}

/** How long and how big: the full run, or `--quick` to keep the code alive. */
export interface Scale {
  warmupSeconds: number;
  seconds: number;
  /** Unmeasured handshakes run first, as echo runs warm up for a while. */
  warmupHandshakes: number;
  /** Handshakes per server and round, measured in `handshakeSlices` parts. */
  handshakes: number;
  /** Bare and wsecho take turns this many times within a handshake round. */
  handshakeSlices: number;
  idleConns: number;
  idleHoldSeconds: number;
}

/**
 * Short runs, many rounds: on a shared machine five 2-second pairs give
 * steadier medians than three 3-second ones, in about the same time.
 *
 * 30,000 handshakes take about 2 s, like the echo runs: 10,000 took only
 * 0.5-1 s on Deno, a window that a single pause of the machine or the
 * collector could swing by a quarter (per-pair ratios from 0.55 to 0.99
 * within one run). 1,000 unmeasured handshakes first warm up the
 * handshake path, which the echo workloads run before it left cold.
 *
 * Even so, one 30,000-handshake run against another swung by 18 % (the
 * standard deviation of the pair ratio over 62 pairs on Deno): this
 * machine's handshake rate drifts by that much within seconds, for both
 * servers alike. So a round's 30,000 are taken in 6 slices of 5,000, bare
 * and wsecho taking turns slice by slice, and each side's rate is that of
 * all its slices together. Four such rounds, run by a script outside the
 * benchmark, put Deno's wsecho at 0.96-1.05 of bare; the first six full
 * benchmark runs this way read 0.90-0.99, median 0.98.
 *
 * Idle connections are held 8 s: the garbage of 10,000 handshakes takes
 * Bun's collector 0.5 to 5 s to free (sampled every 0.5 s), and a 2 s hold
 * measured whether it had yet (wsecho on Bun read 1.73 to 2.7 KiB/conn by
 * that alone), not what an idle connection keeps.
 */
export const FULL_SCALE: Scale = {
  warmupSeconds: 0.5,
  seconds: 2,
  warmupHandshakes: 1_000,
  handshakes: 30_000,
  handshakeSlices: 6,
  idleConns: 10_000,
  idleHoldSeconds: 8,
};

/**
 * Long enough that even a 1 MiB echo completes while the rest of the test
 * suite loads both cores (0.15 s once measured nothing there).
 */
export const QUICK_SCALE: Scale = {
  warmupSeconds: 0.1,
  seconds: 0.5,
  warmupHandshakes: 20,
  handshakes: 200,
  handshakeSlices: 2,
  idleConns: 100,
  idleHoldSeconds: 0.2,
};

/** The load client's arguments (after the program) for `workload`. */
export function loadArgs(
  workload: Workload,
  scale: Scale,
  url: string,
  serverPid: number,
): string[] {
  switch (workload.mode) {
    case "echo":
      return [
        "echo",
        "--url",
        url,
        "-c",
        String(workload.conns),
        "-s",
        String(workload.size),
        "-p",
        String(workload.pipeline),
        "-d",
        String(scale.seconds),
        "--warmup",
        String(scale.warmupSeconds),
        workload.binary ? "--binary" : "--text",
        "--json",
      ];
    case "connect":
      return [
        "connect",
        "--url",
        url,
        "-n",
        String(handshakesPerSlice(scale)),
        "-c",
        String(workload.conns),
        "--json",
      ];
    case "idle":
      return [
        "idle",
        "--url",
        url,
        "-n",
        String(scale.idleConns),
        "--hold",
        String(scale.idleHoldSeconds),
        "--pid",
        String(serverPid),
        "--json",
      ];
  }
}

/** Handshakes in one slice of a round (see {@linkcode FULL_SCALE}). */
export function handshakesPerSlice(scale: Scale): number {
  return Math.max(1, Math.round(scale.handshakes / scale.handshakeSlices));
}

/**
 * The load client's arguments for an unmeasured run before `workload`, or
 * `undefined` where the client warms up by itself (echo's `--warmup`) or
 * must not (idle memory starts from a fresh server).
 */
export function warmupArgs(
  workload: Workload,
  scale: Scale,
  url: string,
): string[] | undefined {
  if (workload.mode !== "connect" || scale.warmupHandshakes === 0) {
    return undefined;
  }
  return [
    "connect",
    "--url",
    url,
    "-n",
    String(scale.warmupHandshakes),
    "-c",
    String(workload.conns),
    "--json",
  ];
}

/** The client's JSON result (wsload's field names). */
export type LoadResult = Record<string, unknown>;

function numberAt(result: LoadResult, ...path: string[]): number {
  let value: unknown = result;
  for (const key of path) value = (value as Record<string, unknown>)?.[key];
  return typeof value === "number" ? value : NaN;
}

/** The number a workload is judged by. */
export function primaryValue(workload: Workload, result: LoadResult): number {
  switch (workload.unit) {
    case "msgs/s":
      return numberAt(result, "msgs_per_s");
    case "MB/s":
      return numberAt(result, "mb_per_s");
    case "handshakes/s":
      return numberAt(result, "handshakes_per_s");
    case "KiB/conn": {
      const before = numberAt(result, "rss_kib_before");
      const after = numberAt(result, "rss_kib_after");
      const opened = numberAt(result, "opened");
      return opened > 0 ? (after - before) / opened : NaN;
    }
  }
}

/** Latency percentiles (µs) and client CPU, where the client reports them. */
export function secondaryValues(result: LoadResult) {
  return {
    p50Us: numberAt(result, "lat_us", "p50"),
    p99Us: numberAt(result, "lat_us", "p99"),
    clientCpuPct: numberAt(result, "client_cpu_pct"),
  };
}

/** What failed according to the client's JSON, by mode (0 for a clean run). */
const ERROR_FIELDS: Record<LoadMode, string[]> = {
  echo: ["errors", "conn_failures", "dropped"],
  connect: ["failed"],
  idle: ["connect_failures", "handshake_failures", "dropped"],
};

export function errorCount(mode: LoadMode, result: LoadResult): number {
  let total = 0;
  for (const key of ERROR_FIELDS[mode]) {
    const value = numberAt(result, key);
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
