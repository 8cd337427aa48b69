/**
 * `--workers N` on Bun: one port served by N processes. The primary binds
 * first (so `--port 0` has a real port to share), then starts N-1 copies of
 * itself with the same arguments plus `--workers 1 --port PORT` and the
 * {@linkcode WORKER_ENV} marker. Every process listens with SO_REUSEPORT and
 * Linux spreads new connections across them; each has its own clients and
 * counters.
 *
 * Signals: the workers run in their own process group, so a terminal's
 * Ctrl+C reaches the primary only, and the primary forwards each SIGINT and
 * SIGTERM to every worker; all drain at once and the primary exits after the
 * last worker, 0 when every one of them stopped cleanly. A worker that dies
 * on its own stops the whole group (exit 1), so that a supervisor restarts
 * it as one. A worker whose primary vanished (SIGKILL) shuts itself down.
 *
 * Written against `node:child_process` and `node:process`, so nothing here
 * is Bun-specific; Deno is refused in {@linkcode checkWorkers} because
 * `deno serve --parallel` already does this job there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { logger } from "../core/log.ts";
import { type EnvReader, UsageError } from "../cli/usage.ts";

/** Set in the environment of a worker to its number (1 … N-1). */
export const WORKER_ENV = "WSECHO_WORKER";
/** Set in the environment of a worker to the primary's pid. */
export const PRIMARY_ENV = "WSECHO_PRIMARY_PID";

/** Set in the environment of a worker to the size of the pool. */
export const POOL_SIZE_ENV = "WSECHO_WORKERS";

/** In a worker: how many processes serve the port, the primary included. */
export function poolSize(env: EnvReader): number {
  const value = Number(env(POOL_SIZE_ENV) ?? "0");
  return Number.isInteger(value) && value > 1 ? value : 2;
}

/** This process's number: 0 for the primary (or a lone server). */
export function workerNumber(env: EnvReader): number {
  const value = Number(env(WORKER_ENV) ?? "0");
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** Refuses `--workers` where it cannot work, as a usage error (exit 2). */
export function checkWorkers(
  workers: number,
  runtime: "deno" | "bun",
  platform: string,
): void {
  if (workers <= 1) return;
  if (runtime === "deno") {
    throw new UsageError(
      "--workers is for Bun; on Deno run 'deno serve --parallel main.ts' " +
        "(DENO_JOBS=N sets the number of workers)",
    );
  }
  if (platform !== "linux") {
    throw new UsageError(
      "--workers needs Linux, where SO_REUSEPORT spreads connections " +
        "across processes",
    );
  }
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export class WorkerPool {
  private readonly children: ChildProcess[] = [];
  private readonly exits: Promise<number>[] = [];
  private stopping = false;

  /**
   * Starts `count` workers serving `port`, each with `args` (this
   * process's own arguments) and the overrides that make it a worker.
   */
  constructor(count: number, port: number, args: string[]) {
    const log = logger("workers");
    const [command, ...prefix] = selfCommand();
    for (let n = 1; n <= count; n++) {
      const child = spawn(
        command,
        [...prefix, ...args, "--workers", "1", "--port", String(port)],
        {
          env: {
            ...process.env,
            [WORKER_ENV]: String(n),
            [POOL_SIZE_ENV]: String(count + 1),
            [PRIMARY_ENV]: String(process.pid),
          },
          stdio: ["ignore", "inherit", "inherit"],
          // Own process group: terminal signals reach the primary only.
          detached: true,
        },
      );
      this.children.push(child);
      this.exits.push(this.watch(child, n));
    }
    for (const signal of SIGNALS) {
      process.on(signal, () => this.forward(signal));
    }
    log.info("started {count} worker process(es): pids {pids}", {
      count,
      pids: this.children.map((child) => child.pid).join(", "),
    });
  }

  /** Resolves to the worker's exit status; an unplanned exit stops all. */
  private watch(child: ChildProcess, n: number): Promise<number> {
    return new Promise((resolve) => {
      const ended = (status: number, how: unknown) => {
        if (!this.stopping) {
          logger("workers").error(
            "worker {worker} (pid {pid}) ended on its own ({how}); stopping all",
            { worker: n, pid: child.pid, how },
          );
          // The usual graceful path, through our own signal handler.
          process.kill(process.pid, "SIGTERM");
        }
        resolve(status);
      };
      child.on("exit", (code, signal) => ended(code ?? 1, code ?? signal));
      // Could not be started at all: no "exit" follows.
      child.on("error", (error) => ended(1, error.message));
    });
  }

  private forward(signal: NodeJS.Signals): void {
    this.stopping = true;
    for (const child of this.children) {
      if (child.exitCode === null) child.kill(signal);
    }
  }

  /**
   * An exit for the primary's graceful shutdown: waits for every worker
   * (killing any still there after `graceMs`) and exits with the worst code.
   */
  exitAfterWorkers(graceMs: number): (code: number) => void {
    return async (code) => {
      this.stopping = true;
      const timer = setTimeout(() => {
        for (const child of this.children) {
          if (child.exitCode === null) child.kill("SIGKILL");
        }
      }, graceMs);
      const codes = await Promise.all(this.exits);
      clearTimeout(timer);
      process.exit(Math.max(code, ...codes.map((c) => c === 0 ? 0 : 1)));
    };
  }
}

/**
 * The command that runs this program again: the runtime with its own flags
 * and our script, or a compiled binary alone (Bun puts the embedded script
 * at a virtual `/$bunfs/` path that is not a file).
 */
export function selfCommand(): string[] {
  const script = process.argv[1];
  const compiled = script === undefined || script.startsWith("/$bunfs/");
  return [
    process.execPath,
    ...process.execArgv,
    ...(compiled ? [] : [script]),
  ];
}

/**
 * In a worker: shut down gracefully should the primary vanish without
 * telling us (SIGKILL, crash), rather than serve on as an orphan. The
 * primary's pid comes from the environment, not from our parent pid at
 * this point: the primary may already be gone by now.
 */
export function followPrimary(env: EnvReader, intervalMs = 500): void {
  const primary = Number(env(PRIMARY_ENV));
  const timer = setInterval(() => {
    if (process.ppid === primary) return;
    clearInterval(timer);
    logger("workers").warn("primary {primary} is gone; stopping", {
      primary,
    });
    process.kill(process.pid, "SIGTERM");
  }, intervalMs);
  // Never the reason the process stays up.
  (timer as { unref?: () => void }).unref?.();
}
