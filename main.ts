#!/usr/bin/env -S deno run --allow-net --allow-env --allow-read --allow-sys
/**
 * wsecho: an RFC 6455 WebSocket echo server for Deno and Bun.
 *
 *   deno run -A main.ts --port 1234
 *   bun main.ts --port 1234
 *   bun main.ts --workers 4       (Bun on Linux: 4 processes, one port)
 *   deno serve main.ts            (uses the default export below)
 *   deno run -A main.ts client ws://localhost:1234/   (console client)
 *
 * This file only wires things together: options → logging → runtime →
 * start, and signals for a graceful stop. Importing it has no side effects.
 */
import process from "node:process";
import config from "./deno.json" with { type: "json" };
import { createDenoServer } from "./lib/deno.ts";
import { drainTimeoutMs } from "./lib/limits.ts";
import {
  createServeExport,
  denoLaunchMode,
  startServeWorker,
} from "./lib/deno_serve.ts";
import { logger, setupLogging } from "./lib/log.ts";
import { runClient } from "./lib/client.ts";
import {
  CLIENT_COMMAND,
  CLIENT_HELP,
  type Command,
  HELP,
  parseCommand,
  type ServerOptions,
  UsageError,
} from "./lib/options.ts";
import { formatAddress, ListenError } from "./lib/runtime.ts";
import { currentRuntime, isBun } from "./lib/runtimes.ts";
import { installGracefulShutdown } from "./lib/shutdown.ts";
import {
  checkWorkers,
  followPrimary,
  workerNumber,
  WorkerPool,
} from "./lib/workers.ts";

export const VERSION: string = config.version;
export const NAME = "wsecho";

/**
 * Runs the command line. Resolves to an exit code when the program should
 * end (help, version, bad input, cannot listen), or to `undefined` once the
 * server is listening; it then runs until a signal stops it.
 */
export async function main(args: string[]): Promise<number | undefined> {
  const command = parseOrReport(args);
  if (typeof command === "number") return command;
  const runtime = await currentRuntime();
  switch (command.kind) {
    case "help":
      process.stdout.write(HELP);
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
      return await runClient(command.options);
  }

  const { options } = command;
  const refused = refuseWorkers(options, runtime.info.name);
  if (refused !== undefined) return refused;
  configureLogging(options);
  const log = logger();
  const worker = workerNumber((name) => process.env[name]);
  const reusePort = options.workers > 1 || worker > 0;
  try {
    const server = runtime.listen({ ...options, reusePort }, VERSION);
    log.info(
      "{name} {version} listening on {url} ({runtime} {runtimeVersion})",
      {
        name: NAME,
        version: VERSION,
        url: server.url,
        runtime: runtime.info.name,
        runtimeVersion: runtime.info.version,
        pid: process.pid,
        worker,
      },
    );
    if (worker > 0) followPrimary((name) => process.env[name]);
    const pool = options.workers > 1
      ? new WorkerPool(options.workers - 1, server.port, args)
      : undefined;
    const drainMs = drainTimeoutMs(options.shutdownTimeout);
    installGracefulShutdown(
      runtime,
      server,
      drainMs,
      pool?.exitAfterWorkers(drainMs + 2000),
    );
    return undefined;
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    log.error("{message}", { message: error.message });
    return error.exitCode;
  }
}

/** Parses `args`; bad input is reported on stderr and becomes its exit code. */
function parseOrReport(
  args: string[],
  env: (name: string) => string | undefined = readEnv,
): Command | number {
  try {
    return parseCommand(args, env);
  } catch (error) {
    return reportUsageError(error);
  }
}

/** Reports a {@linkcode UsageError} as one line; returns its exit code. */
function reportUsageError(error: unknown): number {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${NAME}: ${error.message} (see '${NAME} --help')\n`);
  return error.exitCode;
}

/** `--workers` where this runtime and OS can do it; else the exit code. */
function refuseWorkers(
  options: ServerOptions,
  runtime: "deno" | "bun",
): number | undefined {
  try {
    checkWorkers(options.workers, runtime, process.platform);
    return undefined;
  } catch (error) {
    return reportUsageError(error);
  }
}

/** An environment variable, or undefined where reading it is not permitted. */
function readEnv(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined; // Deno without --allow-env, e.g. under `deno serve`.
  }
}

function configureLogging(options: ServerOptions): void {
  setupLogging({ debug: options.debug, format: options.logFormat });
}

/**
 * `deno serve main.ts`: Deno listens (its own --port/--host apply), and our
 * options other than port and host are read from the script arguments, as
 * in `deno serve main.ts --debug`.
 */
const serveExport = createServeExport(
  () => {
    // Deno picks the port here, so $PORT is not ours to read (and reading
    // it without --allow-env would prompt on a terminal).
    const command = parseOrReport(process.argv.slice(2), () => undefined);
    if (typeof command === "number") process.exit(command);
    if (command.kind !== "serve") {
      process.stdout.write(
        command.kind === "help" ? HELP : `${NAME} ${VERSION}\n`,
      );
      process.exit(0);
    }
    if (command.options.tls) {
      // Deno listens here and `deno serve` has no way to serve TLS for us;
      // serving plain ws:// when wss:// was asked for would be worse.
      process.stderr.write(
        `${NAME}: --cert/--key cannot be used under 'deno serve' (Deno listens there); use 'deno run' instead\n`,
      );
      process.exit(2);
    }
    // Deno runs the workers here: --parallel, not --workers.
    const refused = refuseWorkers(command.options, "deno");
    if (refused !== undefined) process.exit(refused);
    configureLogging(command.options);
    return {
      server: createDenoServer(command.options, VERSION),
      drainTimeoutMs: drainTimeoutMs(command.options.shutdownTimeout),
    };
  },
  (addr) => {
    if (addr.transport !== "tcp") return;
    logger().info("{name} {version} serving on {url} (deno serve)", {
      name: NAME,
      version: VERSION,
      url: `ws://${formatAddress(addr.hostname, addr.port)}/`,
    });
  },
);

/**
 * How this process was started; decided once, before anything listens. The
 * console client never runs under `deno serve`, so it skips the detection,
 * which would take a client with narrower net access (`--allow-net=HOST`)
 * for `deno serve` and silently do nothing.
 */
const launch = isBun() || process.argv[2] === CLIENT_COMMAND
  ? "run"
  : denoLaunchMode();

// The export is left empty where we serve ourselves: Bun would otherwise
// start a second server of its own for an entry module whose default export
// has `fetch`, and `deno run` would print a misleading hint about it.
const defaultExport: Partial<typeof serveExport> = launch === "run"
  ? {}
  : serveExport;
export default defaultExport;

/** An extra `deno serve --parallel` worker says it is there. */
function announceWorker(): void {
  logger().info("{name} {version} worker ready (deno serve --parallel)", {
    name: NAME,
    version: VERSION,
  });
}

if (import.meta.main && launch === "serve") startServeWorker(announceWorker);

if (import.meta.main && launch === "run") {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exit(code);
}
