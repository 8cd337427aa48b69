/**
 * The one start path, for every way wsecho runs: `deno run`, `bun`, the
 * compiled binaries and the `deno serve` default export. Options → logging
 * → runtime (only this runtime's glue is loaded) → serve → signals for a
 * graceful stop. What differs under `deno serve` is that Deno listens: the
 * server is then the export's `fetch`, and `--parallel` siblings share the
 * exit.
 */
import process from "node:process";
import { logger } from "../core/log.ts";
import {
  drainTimeoutMs,
  type ServerOptions,
  WORKERS_EXIT_GRACE_MS,
} from "../config/options.ts";
import { CLIENT_COMMAND } from "../cli/client_args.ts";
import { type Command, parseCommand } from "../cli/command.ts";
import { CLIENT_HELP, SERVER_HELP } from "../cli/help.ts";
import { type EnvReader, UsageError } from "../cli/usage.ts";
import { ListenError, type Runtime } from "../runtime/contract.ts";
import { isBun, loadRuntime } from "../runtime/registry.ts";
import {
  checkWorkers,
  followPrimary,
  poolSize,
  workerNumber,
  WorkerPool,
} from "./bun_workers.ts";
import type { ServeExport } from "./deno_serve.ts";
import { helpHint } from "../cli/help_hint.ts";
import { setupLogging } from "./logging.ts";
import { installGracefulShutdown } from "./shutdown.ts";
import { limitsLine } from "./startup_lines.ts";
import { NAME, VERSION } from "../cli/version.ts";

/**
 * How this process was started: `"run"` where we listen ourselves (`deno
 * run`, `bun`, binaries), `"serve"` under `deno serve`, where Deno listens;
 * `"serve-unconfirmed"` where it may be a `deno run` without network
 * access (see lib/app/deno_serve.ts).
 */
export type Launch = "run" | "serve" | "serve-unconfirmed";

/**
 * Decided once, before anything listens. The console client never runs
 * under `deno serve`, so it skips the detection, which would take a client
 * with narrower net access (`--allow-net=HOST`) for `deno serve` and
 * silently do nothing.
 */
export async function detectLaunch(args: string[]): Promise<Launch> {
  if (isBun() || args[0] === CLIENT_COMMAND) return "run";
  return (await import("./deno_serve.ts")).denoLaunchMode();
}

/** What {@linkcode start} leaves running. */
export type Started =
  /** We listen; the process runs until a signal stops it. */
  | { kind: "listening" }
  /** `deno serve`: Deno listens and sends its requests to this export. */
  | { kind: "hosted"; serveExport: ServeExport };

/**
 * Runs the command line. Resolves to an exit code when the program should
 * end (help, version, the console client, bad input, cannot listen), or to
 * what it started.
 */
export async function start(
  args: string[],
  launch: Launch,
): Promise<number | Started> {
  // Under `deno serve` Deno picks the port, so $PORT is not ours to read
  // (and reading it without --allow-env would prompt on a terminal).
  const hosted = launch !== "run";
  const command = parseOrReport(args, hosted ? noEnv : readEnv);
  if (typeof command === "number") return command;
  // The engine asked for, however we were launched: whether it can serve
  // under `deno serve` is for its runtime to say (`hosted`), below.
  const runtime = await loadRuntime(
    command.kind === "serve" && command.options.engine === "wsecho" &&
      !isBun()
      ? "wsecho"
      : undefined,
  );
  switch (command.kind) {
    case "help":
      process.stdout.write(SERVER_HELP);
      return 0;
    case "version":
      process.stdout.write(
        `${NAME} ${VERSION} (${runtime.info.name} ${runtime.info.version})\n`,
      );
      return 0;
    case "client-help":
      process.stdout.write(CLIENT_HELP);
      return 0;
    case "client":
      setupLogging({
        debug: command.options.debug,
        format: command.options.logFormat,
      });
      // Loaded only for the client: npm:ws reads environment variables as
      // it loads, which a server under 'deno serve' (no --allow-env) may not.
      return await (await import("../client/client.ts")).runClient(
        command.options,
      );
  }

  const { options } = command;
  if (hosted && options.tls) {
    // Deno listens here and `deno serve` has no way to serve TLS for us;
    // serving plain ws:// when wss:// was asked for would be worse.
    process.stderr.write(
      `${NAME}: --cert/--key cannot be used under 'deno serve' (Deno listens there); use 'deno run' instead\n`,
    );
    return 2;
  }
  const refusedEngine = refuseEngine(options);
  if (refusedEngine !== undefined) return refusedEngine;
  const refused = refuseWorkers(options, runtime);
  if (refused !== undefined) return refused;
  if (hosted) {
    const { denoRunCommand, serveHosted, workerLabel } = await import(
      "./deno_serve.ts"
    );
    // Only a runtime that Deno can hand requests to serves here: not the
    // wsecho engine, which reads sockets of its own. Whether `deno serve`
    // is confirmed (-A) or not: an unconfirmed one must not fall back to
    // the built-in engine.
    const host = runtime.hosted;
    if (host === undefined) {
      return reportUsageError(
        new UsageError(
          `--engine ${runtime.info.engine} cannot be used under 'deno serve' (Deno listens there); use 'deno run' instead: ${
            denoRunCommand(args)
          }`,
        ),
      );
    }
    setupLogging({
      debug: options.debug,
      format: options.logFormat,
      worker: workerLabel,
    });
    const unconfirmed = launch === "serve-unconfirmed" ? { args } : undefined;
    const server = host.call(runtime, options, VERSION);
    return {
      kind: "hosted",
      serveExport: serveHosted(runtime, server, options, VERSION, unconfirmed),
    };
  }
  const pool = poolOf(options);
  setupLogging({
    debug: options.debug,
    format: options.logFormat,
    worker: pool && (() => String(pool.worker)),
  });
  try {
    listen(runtime, options, args, pool);
    return { kind: "listening" };
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    logger().error("{message}", { message: error.message });
    return error.exitCode;
  }
}

/**
 * We listen: as a lone server, as the primary of a `--workers` pool (which
 * starts the other workers once it has the port), or as one of its workers.
 */
function listen(
  runtime: Runtime,
  options: ServerOptions,
  args: string[],
  place: PoolPlace | undefined,
) {
  const worker = place?.worker ?? 0;
  const server = runtime.listen(
    { ...options, reusePort: place !== undefined },
    VERSION,
  );
  logger().info(
    place === undefined
      ? "{name} {version} listening on {url} ({runtime} {runtimeVersion}, engine {engine}); page at {page}"
      : "{name} {version} listening on {url} ({runtime} {runtimeVersion}, engine {engine}, {workers} workers in all); page at {page}",
    {
      name: NAME,
      version: VERSION,
      url: server.url,
      page: server.page,
      runtime: runtime.info.name,
      runtimeVersion: runtime.info.version,
      engine: runtime.info.engine,
      pid: process.pid,
      worker,
      workers: place?.count ?? 1,
    },
  );
  if (options.debug) {
    const { message, properties } = limitsLine(options, runtime.info.engine);
    logger().debug(message, properties);
  }
  if (worker > 0) followPrimary(readEnv);
  const pool = options.workers > 1
    ? new WorkerPool(options.workers - 1, server.port, args)
    : undefined;
  const drainMs = drainTimeoutMs(options.shutdownTimeout);
  installGracefulShutdown(
    runtime,
    server,
    drainMs,
    pool?.exitAfterWorkers(drainMs + WORKERS_EXIT_GRACE_MS),
  );
}

/** Where this process is in a `--workers` pool: its number, and how many. */
interface PoolPlace {
  /** 0 for the primary. */
  readonly worker: number;
  readonly count: number;
}

/** This process's place in a `--workers` pool; undefined for a lone server. */
function poolOf(options: ServerOptions): PoolPlace | undefined {
  const worker = workerNumber(readEnv);
  if (worker > 0) return { worker, count: poolSize(readEnv) };
  return options.workers > 1
    ? { worker: 0, count: options.workers }
    : undefined;
}

/** Parses `args`; bad input is reported on stderr and becomes its exit code. */
function parseOrReport(args: string[], env: EnvReader): Command | number {
  try {
    return parseCommand(args, env);
  } catch (error) {
    // The client's mistakes are explained by the client's own help.
    return reportUsageError(
      error,
      args[0] === CLIENT_COMMAND ? "client" : "server",
    );
  }
}

/** Reports a {@linkcode UsageError} as one line; returns its exit code. */
function reportUsageError(
  error: unknown,
  command: "server" | "client" = "server",
): number {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${NAME}: ${error.message} ${helpHint(command)}\n`);
  return error.exitCode;
}

/**
 * `--engine wsecho` where it can run: on Deno (under `deno serve` the
 * runtime contract refuses it: see `hosted`). Else the exit code of the
 * usage error.
 */
function refuseEngine(options: ServerOptions): number | undefined {
  if (options.engine !== "wsecho") return undefined;
  if (isBun()) {
    return reportUsageError(
      new UsageError(
        "--engine wsecho runs on Deno only; Bun's built-in engine is already strict",
      ),
    );
  }
  return undefined;
}

/** `--workers` where this runtime and OS can do it; else the exit code. */
function refuseWorkers(
  options: ServerOptions,
  runtime: Runtime,
): number | undefined {
  try {
    checkWorkers(options.workers, runtime.info.name, process.platform);
    return undefined;
  } catch (error) {
    return reportUsageError(error);
  }
}

/**
 * An environment variable, or undefined where reading it is not permitted:
 * Deno without --allow-env is asked first (querySync never prompts), so an
 * optional variable never brings up Deno's permission prompt.
 */
function readEnv(name: string): string | undefined {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (
    deno && !isBun() &&
    deno.permissions.querySync({ name: "env", variable: name }).state !==
      "granted"
  ) return undefined;
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

function noEnv(): undefined {
  return undefined;
}
