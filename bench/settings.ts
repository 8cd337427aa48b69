/**
 * `deno task bench`'s command line, and what follows from it: the
 * settings of a run, which CPUs the servers and the load client get, and
 * how many idle connections the open-file limit allows.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { openFileLimit } from "./proc.ts";
import { type Engine, ENGINES, type RuntimeName } from "./servers.ts";
import {
  FULL_SCALE,
  QUICK_SCALE,
  type Scale,
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

export interface Settings {
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

/** Whether `--workload` (an id or a prefix; none: all) asks for `workload`. */
export function wanted(settings: Settings, workload: Workload): boolean {
  const { only } = settings;
  return only.length === 0 ||
    only.some((id) => workload.id === id || workload.id.startsWith(id));
}

/** Which CPUs servers and the client get: apart, unless the server has them all. */
export function cpusFor(settings: Settings, workers: number) {
  if (!settings.pin) return { server: undefined, client: undefined };
  if (workers > 1) {
    return {
      server: `0-${navigator.hardwareConcurrency - 1}`,
      client: undefined,
    };
  }
  return { server: "0", client: "1" };
}

export function parseSettings(argv: string[]): Settings | undefined {
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
    process.stdout.write(USAGE + "\n");
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
export function capIdleConnections(settings: Settings, notes: string[]): void {
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
