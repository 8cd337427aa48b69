/**
 * Support for `deno serve main.ts`: telling `deno serve` apart from `deno
 * run`, and serving the requests Deno hands to the `{ fetch, onListen }`
 * default export. Deno does not say which subcommand runs
 * (denoland/deno#25179; `import.meta.main` is true under both), and it
 * warns under `deno run` about a default export with `fetch`. Loaded on
 * Deno only (lib/app/start.ts imports it dynamically).
 */
import process from "node:process";
import { logger } from "../core/log.ts";
import {
  drainTimeoutMs,
  type ServerOptions,
  SIBLINGS_EXIT_GRACE_MS,
} from "../config/options.ts";
import { INSTANCE } from "../http/routes.ts";
import { pageUrl, wsUrl } from "../runtime/address.ts";
import type { HostedServer, Runtime } from "../runtime/contract.ts";
import { commandLine } from "../cli/command_line.ts";
import { siblings } from "./deno_serve_siblings.ts";
import { installGracefulShutdown } from "./shutdown.ts";
import { limitsLine } from "./startup_lines.ts";
import { NAME } from "../cli/version.ts";

export interface ServeExport {
  fetch: Deno.ServeHandler;
  onListen: (addr: Deno.Addr) => void;
}

/**
 * This isolate's server under `deno serve`: Deno listens (its own --port
 * and --host apply) and hands requests to the returned export, which
 * passes them to `server`, what the runtime's `hosted` built. Every
 * `--parallel` worker gets here, not only the one `onListen` reaches, so
 * each checks its options, drains on shutdown and says it is there once.
 */
export function serveHosted(
  runtime: Runtime,
  server: HostedServer,
  options: ServerOptions,
  version: string,
  unconfirmed?: { args: string[] },
): ServeExport {
  const drainMs = drainTimeoutMs(options.shutdownTimeout);
  // Under --parallel, exiting is for the last worker to finish draining.
  siblings.join();
  installGracefulShutdown(
    runtime,
    server,
    drainMs,
    (code) => siblings.exitWhenAllDone(code, drainMs + SIBLINGS_EXIT_GRACE_MS),
  );
  let listened = false;
  const workerReady = () => {
    if (listened) return;
    // Only `--parallel` has isolates that Deno does not call `onListen` in.
    parallel = true;
    const workers = parallelWorkers();
    logger().info(
      "{name} {version} worker ready (deno serve --parallel, {workers} workers in all)",
      { name: NAME, version, workers },
    );
  };
  if (unconfirmed) {
    // Either Deno calls `onListen` here, or a `--parallel` sibling speaks;
    // else this is a `deno run` that cannot listen, and would idle forever.
    const watchdog = setTimeout(() => {
      if (listened) return;
      process.stderr.write(missingNetAccess(unconfirmed.args) + "\n");
      Deno.exit(2);
    }, SERVE_CONFIRM_MS);
    siblings.onFirstContact(() => {
      clearTimeout(watchdog);
      setTimeout(workerReady, 0);
    });
  } else {
    // `onListen`, if it comes to this isolate, comes before this timer.
    setTimeout(workerReady, 0);
  }
  return {
    fetch: server.fetch,
    onListen(addr) {
      listened = true;
      if (addr.transport !== "tcp") return;
      // Known here only where main.ts may read its command line (-A).
      const workers = commandLine()?.includes("--parallel")
        ? parallelWorkers()
        : undefined;
      if (workers !== undefined) parallel = true;
      logger().info(
        workers === undefined
          ? "{name} {version} serving on {url} (deno serve); page at {page}"
          : "{name} {version} serving on {url} (deno serve --parallel, {workers} workers in all); page at {page}",
        {
          name: NAME,
          version,
          url: wsUrl(addr.hostname, addr.port),
          page: pageUrl(addr.hostname, addr.port),
          workers,
        },
      );
      if (options.debug) {
        const { message, properties } = limitsLine(options, "builtin");
        logger().debug(message, properties);
      }
    },
  };
}

/**
 * Whether this isolate is one of several (`deno serve --parallel`): set
 * once it knows, from its command line, from not being the isolate Deno
 * calls `onListen` in, or from a sibling's message.
 */
let parallel = false;

/**
 * Which worker writes a log line under `deno serve --parallel`: this
 * isolate's `instance` (as `/healthz` reports it), once it knows it has
 * siblings. Deno numbers its workers only in its own console prefix.
 */
export function workerLabel(): string | undefined {
  return parallel || siblings.size > 1 ? INSTANCE : undefined;
}

/**
 * How many workers `deno serve --parallel` starts: `DENO_JOBS`, else one
 * per core, as Deno counts them.
 */
function parallelWorkers(): number {
  const jobs = Number(readEnvQuietly("DENO_JOBS"));
  return Number.isInteger(jobs) && jobs > 0
    ? jobs
    : navigator.hardwareConcurrency;
}

function readEnvQuietly(name: string): string | undefined {
  if (
    Deno.permissions.querySync({ name: "env", variable: name }).state !==
      "granted"
  ) return undefined;
  return Deno.env.get(name);
}

/**
 * How Deno started this process: `"serve"` or `"run"` (compiled binaries
 * count as run), or `"serve-unconfirmed"` where only what happens after
 * main.ts has been evaluated can tell. Deno only lets a program read its own
 * command line with `--allow-all`, so without it the permissions decide
 * (`Deno.permissions.querySync`, which never prompts): `deno run` of a
 * server needs `--allow-net` for all addresses, so with it this is read as
 * "run" (`deno serve --allow-net main.ts` too: use `deno serve main.ts` or
 * `deno serve -A main.ts`); without it, this is either `deno serve` (which
 * grants its own address only) or a `deno run` that cannot listen. Only
 * `deno serve` then calls the export's `onListen` or has `--parallel`
 * siblings: {@linkcode serveHosted} waits for either and otherwise says
 * what is missing ({@linkcode missingNetAccess}).
 */
export function denoLaunchMode(): "serve" | "run" | "serve-unconfirmed" {
  if (Deno.build.standalone) return "run";
  // Not --allow-all, or no /proc (macOS, Windows): the permissions say.
  const argv = commandLine();
  if (argv !== undefined) {
    // argv[0] is deno itself; the first non-flag word is the subcommand.
    const subcommand = argv.slice(1).find((word) => !word.startsWith("-"));
    return subcommand === "serve" ? "serve" : "run";
  }
  const net = Deno.permissions.querySync({ name: "net" }).state;
  return net === "granted" ? "run" : "serve-unconfirmed";
}

/**
 * How long a `deno serve` isolate may take to hear from Deno (`onListen`)
 * or from a `--parallel` sibling before it takes itself for a `deno run`
 * without network access. `onListen` comes right after main.ts has been
 * evaluated; siblings start together, but on a loaded machine one may be
 * evaluated seconds after another.
 */
export const SERVE_CONFIRM_MS = 3000;

/**
 * The one line for a `deno run` without network access, with the command
 * that works: the same script and arguments, with the permissions of
 * `deno task start`.
 */
export function missingNetAccess(args: string[]): string {
  return `${NAME}: network access not granted: 'deno run' of a server needs --allow-net; run: ${
    denoRunCommand(args)
  } (or: deno serve ${shellQuote(scriptPath())})`;
}

/**
 * `deno run` of this script with `args` and the permissions of `deno task
 * start`, quoted for a shell: what to run where `deno serve` cannot serve.
 */
export function denoRunCommand(args: string[]): string {
  return [
    "deno run --allow-net --allow-env --allow-read --allow-sys",
    scriptPath(),
    ...args,
  ].map(shellQuote).join(" ");
}

/** main.ts as the user may type it: relative to the working directory if inside. */
function scriptPath(): string {
  const main = Deno.mainModule;
  if (!main.startsWith("file:")) return main;
  const path = decodeURIComponent(new URL(main).pathname);
  let cwd: string | undefined;
  if (Deno.permissions.querySync({ name: "read" }).state === "granted") {
    try {
      cwd = Deno.cwd();
    } catch { /* not permitted */ }
  }
  return cwd && path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
}

function shellQuote(word: string): string {
  if (word.includes(" --allow-")) return word; // the command itself
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}
