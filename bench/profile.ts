/**
 * `deno task bench:profile`: where a Deno server's time goes under one
 * benchmark workload. Starts wsecho (by default on its own engine) with
 * V8's CPU profiler (`deno run --cpu-prof`), drives the workload with the
 * benchmark's load client, stops the server with SIGTERM (the profile is
 * written on the way out), and prints the self time by area and the top
 * functions as markdown, ready to paste into the docs.
 *
 *   deno task bench:profile [--workload ID] [--engine wsecho|builtin] [--bare]
 *                           [--seconds N] [--top N] [--out DIR] [--no-pin]
 *
 * Deno only: `--cpu-prof` is Deno's flag. See bench/README.md#profiling.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ROOT } from "../tools/server_process.ts";
import {
  type CpuProfile,
  formatProfileSummary,
  summarizeProfile,
} from "./cpuprofile.ts";
import { loadClient, runLoad } from "./load.ts";
import { cpuSeconds } from "./proc.ts";
import { formatValue } from "./format.ts";
import {
  canPin,
  describe,
  type Engine,
  ENGINES,
  type ServerSpec,
  startServer,
} from "./servers.ts";
import {
  FULL_SCALE,
  loadArgs,
  primaryValue,
  type Workload,
  WORKLOADS,
} from "./workloads.ts";

const USAGE = `usage: deno task bench:profile [options]
  --workload ID      the load to profile under (default text32-c100-p16; a prefix works):
                     ${
  WORKLOADS.filter((w) => w.mode !== "idle").map((w) => w.id).join(", ")
}
  --engine NAME      wsecho's engine: wsecho (default) or builtin
  --bare             profile the bare Deno echo (bench/bare_deno.ts) instead
  --seconds N        how long the load runs, after 0.5 s of warm-up (default 5)
  --top N            functions listed (default 25)
  --out DIR          where the profile and summary go (default: a new temp dir)
  --load-cmd CMD     another build of the load client, as for deno task bench
  --no-pin           do not pin server and client to CPUs
`;

/**
 * The bare echo has no signal handling of its own, and a process killed by
 * SIGTERM writes no profile: this preload makes it exit normally instead.
 */
const EXIT_ON_SIGNAL = fileURLToPath(
  new URL("./exit_on_signal.ts", import.meta.url),
);

/** A profiled server may take a while to write a large profile on exit. */
const PROFILE_WRITE_GRACE_MS = 30_000;

function log(line: string): void {
  process.stdout.write(line + "\n");
}

function pickWorkload(id: string): Workload {
  const workload = WORKLOADS.find((w) => w.id === id) ??
    WORKLOADS.find((w) => w.id.startsWith(id));
  if (!workload) throw new Error(`no workload '${id}'`);
  if (workload.mode === "idle") {
    throw new Error(
      "idle-memory keeps the server idle: there is no time to profile",
    );
  }
  return workload;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workload: { type: "string", default: "text32-c100-p16" },
      engine: { type: "string", default: "wsecho" },
      bare: { type: "boolean", default: false },
      seconds: { type: "string", default: "5" },
      top: { type: "string", default: "25" },
      out: { type: "string" },
      "load-cmd": { type: "string" },
      "no-pin": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const workload = pickWorkload(values.workload);
  if (!(ENGINES as readonly string[]).includes(values.engine)) {
    throw new Error(`--engine must be ${ENGINES.join(" or ")}`);
  }
  const seconds = Number(values.seconds);
  const top = Number(values.top);
  if (!(seconds > 0) || !(top > 0)) {
    throw new Error("--seconds and --top must be positive");
  }
  const dir = values.out ?? await Deno.makeTempDir({ prefix: "wsecho-prof-" });
  await Deno.mkdir(dir, { recursive: true });
  const before = new Set(await profilesIn(dir));

  const spec: ServerSpec = {
    runtime: "deno",
    impl: values.bare ? "bare" : "wsecho",
    ...(values.bare ? {} : { engine: values.engine as Engine }),
    workers: 1,
    runFlags: [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      // Deno's own report (with total time per function) and a flame graph.
      "--cpu-prof-md",
      "--cpu-prof-flamegraph",
      ...(values.bare ? [`--preload=${EXIT_ON_SIGNAL}`] : []),
    ],
  };
  const pin = !values["no-pin"] && await canPin();
  const load = await loadClient(
    values["load-cmd"] ?? Deno.env.get("WSECHO_LOAD"),
  );
  if (!load) return 2;
  // Handshakes: one slice lasting about as long as the echo loads do
  // (bare Deno manages some 15,000 a second on one core).
  const scale = {
    ...FULL_SCALE,
    seconds,
    warmupSeconds: 0.5,
    handshakes: Math.round(15_000 * seconds),
    handshakeSlices: 1,
  };
  const name = describe(spec);
  log(`profiling ${name} under ${workload.id} for ${seconds} s…`);

  const server = await startServer(spec, pin ? "0" : undefined);
  let summaryLine: string;
  let serverCpuMs = NaN;
  try {
    const run = await runLoad(
      load,
      loadArgs(workload, scale, server.url, server.pid),
      pin ? "1" : undefined,
      server.pid,
      60_000 + seconds * 1000,
    );
    const value = run.result ? primaryValue(workload, run.result) : NaN;
    summaryLine = `${
      formatValue(value, workload.unit)
    } ${workload.unit}, server CPU ${run.serverCpuPct.toFixed(0)} %${
      run.exitCode === 0 ? "" : `; the load client failed: ${run.stderrTail}`
    }`;
    log(`load: ${summaryLine}`);
    // All the CPU the process used: the profile covers its whole life.
    serverCpuMs = (cpuSeconds(server.pid) ?? NaN) * 1000;
  } finally {
    await server.stop(PROFILE_WRITE_GRACE_MS);
  }

  const written = (await profilesIn(dir)).filter((file) => !before.has(file));
  if (written.length !== 1) {
    process.stderr.write(
      `profile: expected one new .cpuprofile in ${dir}, found ${written.length}` +
        ` (a server killed by a signal it does not handle writes none)\n${server.stderr.text}\n`,
    );
    return 1;
  }
  const file = `${dir}/${written[0]}`;
  const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
  const summary = summarizeProfile(profile, ROOT);
  const text = [
    formatProfileSummary(
      summary,
      `Where ${name} spends its time: ${workload.title}`,
      top,
      serverCpuMs,
    ),
    `Load during the profile: ${summaryLine}. Command: \`deno task bench:profile ${
      argv.join(" ")
    }\`; profile: ${
      written[0]
    } (open it in Chrome DevTools' Performance panel), Deno's own report and flame graph beside it (.md, .svg).`,
    "",
  ].join("\n");
  const summaryFile = file.replace(/\.cpuprofile$/, ".summary.md");
  await Deno.writeTextFile(summaryFile, text);
  log("");
  log(text);
  log(`wrote ${file} and ${summaryFile}`);
  return 0;
}

async function profilesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".cpuprofile")) {
      names.push(entry.name);
    }
  }
  return names;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
