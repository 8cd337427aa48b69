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
import { parseArgs } from "node:util";
import { bunPath } from "../tools/server_process.ts";
import {
  combineSlices,
  loadClient,
  type LoadCommand,
  type LoadRun,
  runLoad,
} from "./load.ts";
import { loadAverage, machineInfo, openFileLimit } from "./proc.ts";
import {
  type BenchRecord,
  formatValue,
  jsonLines,
  markdownReport,
  type MetaRecord,
  type PeerRunRecord,
  peerTable,
  type RunRecord,
  type SkipRecord,
  summarizeRuns,
  type SummaryRecord,
  svgChart,
  TABLE_HEADER,
  tableRow,
  targetName,
} from "./report.ts";
import {
  canPin,
  describe,
  type Engine,
  engineOf,
  ENGINES,
  outputOf,
  peerLabel,
  PEERS,
  type PeerSpec,
  peerUnavailableReason,
  type RunningServer,
  type RuntimeName,
  type ServerSpec,
  startFailure,
  startPeer,
  startServer,
  unsupportedReason,
} from "./servers.ts";
import {
  errorCount,
  FULL_SCALE,
  loadArgs,
  primaryValue,
  QUICK_SCALE,
  type Scale,
  scaleOutWorkload,
  secondaryValues,
  warmupArgs,
  type Workload,
  WORKLOADS,
} from "./workloads.ts";

const USAGE = `usage: deno task bench [options]
  --quick            a few seconds per runtime: checks that everything runs
  --runtime NAME     deno or bun (repeatable; default both)
  --engine NAME      wsecho's engine: builtin or wsecho (repeatable; default
                     both where the server has the engine, else builtin with a note)
  --rounds N         bare/wsecho pairs per workload (default 5; quick 1)
  --load-cmd CMD     another build of the load client (or $WSECHO_LOAD); default:
                     bench/wsload/wsload.c, compiled with cc on first use
  --workers N        server workers for the scale-out workload (default 2; 1 = skip)
  --workload ID      only this workload (repeatable): ${
  WORKLOADS.map((w) => w.id).join(", ")
}
  --out DIR          where latest.md, latest.jsonl and chart.svg go (default bench/results)
  --no-pin           do not pin server and client to CPUs
  --peers            also measure Qt's echoserver and Node + ws, for context
  --render DIR       only rebuild DIR's reports from the runs in its latest.jsonl
`;

interface Settings {
  quick: boolean;
  runtimes: RuntimeName[];
  /** wsecho's engines to measure, each as one more side beside bare. */
  engines: Engine[];
  /** Whether `--engine` was given: then a missing engine is an error. */
  enginesChosen: boolean;
  rounds: number;
  scale: Scale;
  /** `--load-cmd` / `$WSECHO_LOAD`; wsload from the repository's source if unset. */
  loadCmd?: string;
  workers: number;
  only: string[];
  out: string;
  pin: boolean;
  /** Also measure the peers (Qt's echoserver, Node + ws). */
  peers: boolean;
  /** Only rebuild the reports in this folder from its recorded runs. */
  render?: string;
}

/** Which CPUs servers and the client get: apart, unless the server has them all. */
function cpusFor(settings: Settings, workers: number) {
  if (!settings.pin) return { server: undefined, client: undefined };
  if (workers > 1) {
    return {
      server: `0-${navigator.hardwareConcurrency - 1}`,
      client: undefined,
    };
  }
  return { server: "0", client: "1" };
}

function log(line: string): void {
  process.stdout.write(line + "\n");
}

class Bench {
  readonly runs: RunRecord[] = [];
  readonly peerRuns: PeerRunRecord[] = [];
  readonly skipped: SkipRecord[] = [];
  readonly notes: string[] = [];

  constructor(readonly settings: Settings, readonly load: LoadCommand) {}

  private wanted(workload: Workload): boolean {
    const { only } = this.settings;
    return only.length === 0 ||
      only.some((id) => workload.id === id || workload.id.startsWith(id));
  }

  /**
   * The servers a runtime's rounds alternate between: its bare echo, then
   * wsecho on each engine given that this server has (see `engines`).
   */
  sidesOf(runtime: RuntimeName, engines: readonly Engine[]): ServerSpec[] {
    return [
      { runtime, impl: "bare", workers: 1 },
      ...engines.map((engine): ServerSpec => ({
        runtime,
        impl: "wsecho",
        engine,
        workers: 1,
      })),
    ];
  }

  /**
   * Which of the wanted engines wsecho has on `runtime`: the built-in one
   * always; ours if a server started with `--engine wsecho` listens. A
   * server without it (before the engine is merged, or on a runtime it
   * does not support) is named in the notes, in its own words.
   */
  async engines(runtime: RuntimeName): Promise<Engine[]> {
    const engines: Engine[] = [];
    for (const engine of this.settings.engines) {
      if (engine === "builtin") {
        engines.push(engine);
        continue;
      }
      const failure = await startFailure({
        runtime,
        impl: "wsecho",
        engine,
        workers: 1,
      });
      if (failure === undefined) {
        engines.push(engine);
        continue;
      }
      const note =
        `wsecho --engine ${engine} not measured on ${runtime}: the server refused it (${failure})`;
      log(note);
      // The engine is Deno's (issue 12); on Bun it is optional, so its
      // absence there is only worth a note when someone asked for it.
      if (this.settings.enginesChosen || runtime === "deno") {
        this.notes.push(note);
      }
      this.missingEngines.push(note);
    }
    return engines;
  }

  /** Notes on engines that were asked for but did not start. */
  readonly missingEngines: string[] = [];

  async runtime(
    runtime: RuntimeName,
    engines: readonly Engine[],
  ): Promise<void> {
    if (engines.length === 0) return;
    const sides = this.sidesOf(runtime, engines);
    const throughput = WORKLOADS.filter((w) =>
      w.mode !== "idle" && this.wanted(w)
    );
    if (throughput.length > 0) {
      await this.sharedServers(sides, throughput, 1);
    }

    const idle = WORKLOADS.find((w) => w.mode === "idle")!;
    if (this.wanted(idle)) await this.memory(sides, idle);

    const { workers } = this.settings;
    if (workers > 1) {
      const scaleOut = scaleOutWorkload(workers);
      if (!this.wanted(scaleOut)) return;
      const scaled: ServerSpec[] = [];
      for (const side of sides) {
        const spec = { ...side, workers };
        const reason = await unsupportedReason(spec);
        if (!reason) {
          scaled.push(spec);
          continue;
        }
        const engine = engineOf(spec);
        log(`skip ${scaleOut.id} for ${describe(spec)}: ${reason}`);
        this.skipped.push({
          type: "skipped",
          runtime,
          ...(engine === "wsecho" ? { engine } : {}),
          workload: scaleOut.id,
          title: scaleOut.title,
          reason,
        });
      }
      if (scaled.some((spec) => spec.impl === "wsecho")) {
        await this.sharedServers(scaled, [scaleOut], workers);
      }
    }
  }

  /**
   * The peers, one after the other, on the same workloads, CPUs and load
   * client; each stays up for its throughput workloads, and memory takes a
   * fresh process per round. A peer that is not installed is noted.
   */
  async peers(): Promise<void> {
    const cpus = cpusFor(this.settings, 1);
    const workloads = WORKLOADS.filter((w) => this.wanted(w));
    for (const peer of PEERS) {
      const reason = await peerUnavailableReason(peer);
      if (reason) {
        log(`peer ${peer} skipped: ${reason}`);
        this.notes.push(`peer ${peer} skipped: ${reason}`);
        continue;
      }
      const label = await peerLabel(peer);
      const keep = (workload: Workload, round: number, run: LoadRun) =>
        this.peerRuns.push({
          type: "peer-run",
          peer,
          label,
          ...this.fields(peer, workload, round, run),
        });
      const throughput = workloads.filter((w) => w.mode !== "idle");
      if (throughput.length > 0) {
        const server = await startPeer(peer, cpus.server);
        try {
          for (const workload of throughput) {
            for (let round = 1; round <= this.settings.rounds; round++) {
              keep(workload, round, await this.peerRun(server, workload, cpus));
            }
          }
        } finally {
          await server.stop();
        }
      }
      for (const workload of workloads.filter((w) => w.mode === "idle")) {
        for (let round = 1; round <= this.settings.rounds; round++) {
          const server = await startPeer(peer, cpus.server);
          try {
            await this.settle();
            keep(workload, round, await this.peerRun(server, workload, cpus));
          } finally {
            await server.stop();
          }
        }
      }
    }
  }

  /** One peer run; handshakes in slices, as for the runtimes. */
  private async peerRun(
    server: RunningServer<PeerSpec>,
    workload: Workload,
    cpus: { server: string | undefined; client: string | undefined },
  ): Promise<LoadRun> {
    if (workload.mode === "connect") {
      const [run] = await this.slicedHandshakes(
        workload,
        1,
        () => Promise.resolve(server),
        cpus.client,
      );
      return run;
    }
    const { scale } = this.settings;
    const load = this.load;
    const args = loadArgs(workload, scale, server.url, server.pid);
    return await runLoad(load, args, cpus.client, server.pid, this.budgetMs());
  }

  /** Lets a fresh server's start-up work (JIT, first GC) settle first. */
  private async settle(): Promise<void> {
    await new Promise((done) =>
      setTimeout(done, this.settings.quick ? 100 : 500)
    );
  }

  /**
   * Both servers stay up while the load alternates between them, round
   * after round, workload after workload; the one not measured is paused.
   */
  private async sharedServers(
    sides: readonly ServerSpec[],
    workloads: Workload[],
    workers: number,
  ): Promise<void> {
    const cpus = cpusFor(this.settings, workers);
    // One per side, in the order of `sides`: bare, wsecho, wsecho's engine.
    const servers: RunningServer[] = [];
    try {
      for (const spec of sides) {
        servers.push(await startServer({ ...spec, workers }, cpus.server));
      }
      for (const workload of workloads) {
        for (let round = 1; round <= this.settings.rounds; round++) {
          if (workload.mode === "connect") {
            await this.handshakeRound(servers, workload, round, cpus);
            continue;
          }
          for (let side = 0; side < servers.length; side++) {
            const server = await this.focus(servers, side, cpus.server);
            await this.measure(server, workload, round, cpus.client);
          }
        }
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }

  /**
   * Makes side `side`'s server the one that runs: restarts it if it died,
   * pauses the others and continues it.
   */
  private async focus(
    servers: RunningServer[],
    side: number,
    cpus: string | undefined,
  ): Promise<RunningServer> {
    let server = servers[side];
    if (!server.alive) {
      log(`${describe(server.spec)} died; restarting it`);
      this.notes.push(
        `${describe(server.spec)} exited during the run and was restarted`,
      );
      server = await startServer(server.spec, cpus);
      servers[side] = server;
    }
    for (const other of servers) {
      if (other !== server) other.pause();
    }
    server.resume();
    return server;
  }

  /** One round of handshakes, the sides taking turns slice by slice. */
  private async handshakeRound(
    servers: RunningServer[],
    workload: Workload,
    round: number,
    cpus: { server: string | undefined; client: string | undefined },
  ): Promise<void> {
    const specs = servers.map((server) => server.spec);
    const runs = await this.slicedHandshakes(
      workload,
      servers.length,
      (side) => this.focus(servers, side, cpus.server),
      cpus.client,
    );
    specs.forEach((spec, side) =>
      this.record(spec, workload, round, runs[side])
    );
  }

  /**
   * A round of handshakes against `sides` servers: each warms up, then they
   * take turns slice by slice, so that the machine's drift over the round
   * falls on all alike (see `FULL_SCALE`). `focus` makes a side's server
   * the one that runs. Returns each side's slices as one run.
   */
  private async slicedHandshakes(
    workload: Workload,
    sides: number,
    focus: (side: number) => Promise<{ url: string; pid: number }>,
    clientCpus: string | undefined,
  ): Promise<LoadRun[]> {
    const { scale } = this.settings;
    const load = this.load;
    const budget = this.budgetMs();
    for (let side = 0; side < sides; side++) {
      const server = await focus(side);
      const warmup = warmupArgs(workload, scale, server.url);
      if (warmup) await runLoad(load, warmup, clientCpus, server.pid, budget);
    }
    const slices: LoadRun[][] = Array.from({ length: sides }, () => []);
    for (let slice = 0; slice < scale.handshakeSlices; slice++) {
      for (let side = 0; side < sides; side++) {
        const server = await focus(side);
        const args = loadArgs(workload, scale, server.url, server.pid);
        slices[side].push(
          await runLoad(load, args, clientCpus, server.pid, budget),
        );
      }
    }
    return slices.map(combineSlices);
  }

  /** Memory needs a fresh server each time, so that RSS starts clean. */
  private async memory(
    sides: readonly ServerSpec[],
    workload: Workload,
  ): Promise<void> {
    const cpus = cpusFor(this.settings, 1);
    for (let round = 1; round <= this.settings.rounds; round++) {
      for (const spec of sides) {
        const server = await startServer({ ...spec, workers: 1 }, cpus.server);
        try {
          await this.settle();
          await this.measure(server, workload, round, cpus.client);
        } finally {
          await server.stop();
        }
      }
    }
  }

  private async measure(
    server: RunningServer,
    workload: Workload,
    round: number,
    clientCpus: string | undefined,
  ): Promise<void> {
    const { scale } = this.settings;
    const load = this.load;
    const args = loadArgs(workload, scale, server.url, server.pid);
    const run = await runLoad(
      load,
      args,
      clientCpus,
      server.pid,
      this.budgetMs(),
    );
    this.record(server.spec, workload, round, run);
  }

  /** How long one load-client run may take before it is killed. */
  private budgetMs(): number {
    const { scale } = this.settings;
    return 60_000 +
      1000 * (scale.warmupSeconds + scale.seconds + scale.idleHoldSeconds);
  }

  /** Keeps `run` as the result of `spec` in `round`, and logs it. */
  private record(
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
      ...this.fields(
        `${spec.runtime.padEnd(4)} ${side.padEnd(6)}`,
        workload,
        round,
        run,
      ),
    });
  }

  /** What a run record holds of `run`; logs it under `name`. */
  private fields(
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
}

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
  ]);
  return changed ? `${commit} with uncommitted changes` : commit;
}

function parseSettings(argv: string[]): Settings | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      runtime: { type: "string", multiple: true },
      engine: { type: "string", multiple: true },
      rounds: { type: "string" },
      "load-cmd": { type: "string" },
      workers: { type: "string", default: "2" },
      workload: { type: "string", multiple: true },
      out: { type: "string", default: "bench/results" },
      "no-pin": { type: "boolean", default: false },
      peers: { type: "boolean", default: false },
      render: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    return undefined;
  }
  const runtimes = (values.runtime ?? ["deno", "bun"]).flatMap((r) =>
    r.split(",")
  );
  for (const runtime of runtimes) {
    if (runtime !== "deno" && runtime !== "bun") {
      throw new Error(`--runtime must be deno or bun, got '${runtime}'`);
    }
  }
  const engines = [
    ...new Set((values.engine ?? ENGINES).flatMap((e) => e.split(","))),
  ];
  for (const engine of engines) {
    if (!(ENGINES as readonly string[]).includes(engine)) {
      throw new Error(
        `--engine must be ${ENGINES.join(" or ")}, got '${engine}'`,
      );
    }
  }
  const quick = values.quick;
  const rounds = Number(values.rounds ?? (quick ? 1 : 5));
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error("--rounds must be ≥ 1");
  }
  return {
    quick,
    runtimes: runtimes as RuntimeName[],
    engines: engines as Engine[],
    enginesChosen: values.engine !== undefined,
    rounds,
    scale: { ...(quick ? QUICK_SCALE : FULL_SCALE) },
    loadCmd: values["load-cmd"] ?? Deno.env.get("WSECHO_LOAD"),
    workers: Number(values.workers),
    only: values.workload ?? [],
    out: values.out.replace(/\/$/, ""),
    pin: !values["no-pin"],
    peers: values.peers,
    render: values.render,
  };
}

/** Caps the idle connections by the open-file limit (each side needs one fd per connection). */
function capIdleConnections(settings: Settings, notes: string[]): void {
  const limit = openFileLimit();
  if (!limit) return;
  const cap = Math.max(100, limit.hard - 256);
  if (settings.scale.idleConns > cap) {
    notes.push(
      `idle connections capped at ${cap} by the open-file limit (${limit.hard})`,
    );
    settings.scale.idleConns = cap;
  }
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
  const bench = new Bench(settings, load);
  capIdleConnections(settings, bench.notes);
  if (loadStart !== undefined && loadStart > 0.5) {
    bench.notes.push(
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
  for (const runtime of settings.runtimes) {
    engines.set(runtime, await bench.engines(runtime));
  }
  if (settings.enginesChosen && bench.missingEngines.length > 0) {
    // Asked for by name, an engine the server lacks is an error, before
    // minutes of measuring without it.
    process.stderr.write(
      `bench: ${bench.missingEngines.join("\n")}\n` +
        "bench: leave out --engine (or pick the runtimes that have it) to measure without it\n",
    );
    return 2;
  }
  for (const runtime of settings.runtimes) {
    await bench.runtime(runtime, engines.get(runtime)!);
  }
  if (settings.peers) await bench.peers();

  const machine = machineInfo();
  const meta: MetaRecord = {
    type: "meta",
    date: new Date().toISOString(),
    command: ["deno task bench", ...argv].join(" "),
    machine,
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
    notes: bench.notes,
  };

  const summaries = await writeReports(
    settings.out,
    meta,
    bench.runs,
    bench.skipped,
    bench.peerRuns,
  );

  log("");
  log(plainTable(summaries.map(tableRow)));
  log("");
  if (bench.peerRuns.length > 0) {
    const peers = peerTable(bench.peerRuns, summaries);
    log(plainTable(peers.rows, peers.header));
    log("");
  }
  for (const row of summaries.filter((s) => s.client_saturated)) {
    log(
      `note: the load client saturated on ${row.title} (${
        targetName(row)
      }): the ratio there says little`,
    );
  }
  for (const note of bench.notes) log(`note: ${note}`);
  log(
    `wrote ${settings.out}/latest.md, latest.jsonl, chart.svg in ${
      meta.duration_s.toFixed(0)
    } s`,
  );
  const failed = [...bench.runs, ...bench.peerRuns].some((run) =>
    !Number.isFinite(run.value)
  );
  return failed ? 1 : 0;
}

/** Writes latest.md, latest.jsonl and chart.svg to `out`; returns the summaries. */
async function writeReports(
  out: string,
  meta: MetaRecord,
  runs: readonly RunRecord[],
  skipped: readonly SkipRecord[],
  peerRuns: readonly PeerRunRecord[],
): Promise<SummaryRecord[]> {
  const summaries = summarizeRuns(runs, peerRuns);
  const { machine, versions } = meta;
  const subtitle =
    `${machine.cpu}, ${machine.cores} cores · Deno ${versions.deno} · Bun ${versions.bun} · ${meta.load_client} · ${
      meta.date.slice(0, 10)
    }`;
  await Deno.mkdir(out, { recursive: true });
  const records: BenchRecord[] = [
    meta,
    ...runs,
    ...summaries,
    ...skipped,
    ...peerRuns,
  ];
  await Deno.writeTextFile(
    `${out}/latest.md`,
    markdownReport(meta, summaries, skipped, "chart.svg", peerRuns),
  );
  await Deno.writeTextFile(`${out}/latest.jsonl`, jsonLines(records));
  await Deno.writeTextFile(`${out}/chart.svg`, svgChart(summaries, subtitle));
  return summaries;
}

/**
 * `--render DIR`: rebuilds the reports in DIR from the runs recorded in its
 * latest.jsonl, without measuring again (after a change to the reports).
 */
async function render(dir: string): Promise<number> {
  const records = (await Deno.readTextFile(`${dir}/latest.jsonl`))
    .trimEnd().split("\n").map((line) => JSON.parse(line) as BenchRecord);
  const meta = records.find((r): r is MetaRecord => r.type === "meta");
  if (!meta) throw new Error(`${dir}/latest.jsonl has no meta record`);
  // JSON has no NaN: the writer turned it into null.
  const withNaN = <R>(run: R): R => {
    const fixed = { ...run } as Record<string, unknown>;
    for (const [key, value] of Object.entries(fixed)) {
      if (value === null && key !== "result") fixed[key] = NaN;
    }
    return fixed as R;
  };
  const runs = records.filter((r): r is RunRecord => r.type === "run")
    .map(withNaN);
  const peerRuns = records.filter((r): r is PeerRunRecord =>
    r.type === "peer-run"
  ).map(withNaN);
  const skipped = records.filter((r): r is SkipRecord => r.type === "skipped");
  const note = `reports re-rendered from the recorded runs on ${
    new Date().toISOString().slice(0, 10)
  } (deno task bench --render ${dir})`;
  const renderedMeta = {
    ...meta,
    notes: [
      ...meta.notes.filter((n) => !n.startsWith("reports re-rendered")),
      note,
    ],
  };
  const summaries = await writeReports(
    dir,
    renderedMeta,
    runs,
    skipped,
    peerRuns,
  );
  log(plainTable(summaries.map(tableRow)));
  log(
    `rewrote ${dir}/latest.md, latest.jsonl, chart.svg from ${runs.length} runs`,
  );
  return 0;
}

/** The markdown table, aligned for a terminal. */
function plainTable(rows: string[][], header = TABLE_HEADER): string {
  const all = [header, ...rows].map((row) =>
    row.map((cell) => cell.replaceAll("**", ""))
  );
  const widths = header.map((_, i) =>
    Math.max(...all.map((row) => row[i].length))
  );
  return all.map((row) =>
    row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()
  ).join("\n");
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
