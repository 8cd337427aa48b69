/**
 * Starts the servers under test: wsecho itself (main.ts, default options)
 * and the bare baselines in this folder, on Deno or Bun, with one worker or
 * several, pinned to their CPUs, and knows when they listen.
 */
import { fileURLToPath } from "node:url";
import { processTree } from "./proc.ts";
import {
  bunPath,
  DENO_RUN_FLAGS,
  LineCollector,
  MAIN,
  type RuntimeName,
} from "../tests/helpers/server.ts";

export type { RuntimeName };
export type Impl = "bare" | "wsecho";

export interface ServerSpec {
  runtime: RuntimeName;
  impl: Impl;
  workers: number;
}

const BENCH = fileURLToPath(new URL("./", import.meta.url));
const HOST = "127.0.0.1";

/** Raises the open-file limit as far as allowed, then runs the command. */
const RAISE_FD_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

/** `command`, in a shell that raised the fd limit, pinned to `cpus` if given. */
export function wrapCommand(command: string[], cpus?: string): string[] {
  const pin = cpus ? ["taskset", "-c", cpus] : [];
  return ["bash", "-c", RAISE_FD_LIMIT, "bash", ...pin, ...command];
}

/** Whether `taskset` can pin processes here (Linux with util-linux). */
export async function canPin(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("taskset", {
      args: ["-c", "0", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success && navigator.hardwareConcurrency >= 2;
  } catch {
    return false;
  }
}

/** The command line of a server (before wrapping) and its environment. */
export function serverCommand(
  spec: ServerSpec,
  port: number,
): { command: string[]; env: Record<string, string> } {
  const { runtime, impl, workers } = spec;
  const listen = ["--port", String(port), "--host", HOST];
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (runtime === "deno") {
    const deno = Deno.execPath();
    if (workers > 1) {
      env.DENO_JOBS = String(workers);
      return impl === "bare"
        ? {
          command: [
            deno,
            "serve",
            "--parallel",
            "--allow-net",
            ...listen,
            BENCH + "bare_deno_serve.ts",
          ],
          env,
        }
        : {
          // -A, as the README says for `deno serve`: with --allow-net
          // alone main.ts cannot tell `deno serve` from `deno run`.
          command: [
            deno,
            "serve",
            "--parallel",
            "--allow-all",
            ...listen,
            MAIN,
            "--log-format",
            "json",
          ],
          env,
        };
    }
    return impl === "bare"
      ? {
        command: [
          deno,
          "run",
          "--allow-net",
          BENCH + "bare_deno.ts",
          ...listen,
        ],
        env,
      }
      : {
        command: [
          deno,
          ...DENO_RUN_FLAGS,
          MAIN,
          ...listen,
          "--log-format",
          "json",
        ],
        env,
      };
  }
  const bun = bunPath();
  const multi = workers > 1 ? ["--workers", String(workers)] : [];
  return impl === "bare"
    ? { command: [bun, BENCH + "bare_bun.ts", ...listen, ...multi], env }
    : {
      command: [bun, MAIN, ...listen, "--log-format", "json", ...multi],
      env,
    };
}

/**
 * Whether `spec` can run here: several workers need `deno serve --parallel`
 * (Deno 2) or wsecho's `--workers` option on Bun, which may not exist yet.
 * Returns why not, or `undefined`.
 */
export async function unsupportedReason(
  spec: ServerSpec,
): Promise<string | undefined> {
  if (spec.workers <= 1 || spec.runtime === "deno") return undefined;
  if (spec.impl === "bare") return undefined;
  const { stdout } = await new Deno.Command(bunPath(), {
    args: [MAIN, "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).includes("--workers")
    ? undefined
    : "wsecho on Bun has no --workers option (multi-process mode) yet";
}

/** A free TCP port on loopback, for servers whose workers share one port. */
function freePort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A server process that is listening. */
export class RunningServer {
  readonly stderr: LineCollector;
  private readonly stdout: LineCollector;
  readonly exited: Promise<Deno.CommandStatus>;
  private gone = false;
  url = "";

  constructor(readonly spec: ServerSpec, readonly child: Deno.ChildProcess) {
    this.stderr = new LineCollector(child.stderr);
    this.stdout = new LineCollector(child.stdout);
    this.exited = child.status.then((status) => {
      this.gone = true;
      return status;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.gone;
  }

  /**
   * Freezes the server and its worker processes (SIGSTOP) while another
   * one is measured, so that the measured one has its CPUs to itself. Left
   * idle but running beside it, the bare Deno echo changed wsecho's cost:
   * after the echo workloads wsecho's handshakes took 1.08-1.33x the bare
   * echo's CPU in four interleaved runs, and 0.96-1.08x with the idle
   * server stopped.
   */
  pause(): void {
    this.signal("SIGSTOP");
  }

  resume(): void {
    this.signal("SIGCONT");
  }

  private signal(signal: Deno.Signal): void {
    if (this.gone) return;
    for (const pid of processTree(this.pid)) {
      try {
        Deno.kill(pid, signal);
      } catch { /* exited meanwhile */ }
    }
  }

  /** SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.gone) return;
    this.resume(); // A stopped process would hold the SIGTERM until then.
    const kill = (signal: Deno.Signal) => {
      try {
        this.child.kill(signal);
      } catch { /* already gone */ }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
    await Promise.all([this.stderr.done, this.stdout.done]);
  }
}

/** Starts `spec` pinned to `cpus` and waits until it listens. */
export async function startServer(
  spec: ServerSpec,
  cpus: string | undefined,
): Promise<RunningServer> {
  // Workers share a port, so it must be known up front; one process takes 0.
  const port = spec.workers > 1 ? freePort() : 0;
  const { command, env } = serverCommand(spec, port);
  const [program, ...args] = wrapCommand(command, cpus);
  const child = new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new RunningServer(spec, child);
  try {
    const line = await server.stderr.waitFor(
      (text) => /(listening|serving) on/i.test(text) && /\w+:\/\//.test(text),
      20_000,
    );
    const address = /(?:ws|http):\/\/([^\s"/]+)/.exec(line)?.[1];
    server.url = port ? `ws://${HOST}:${port}/` : `ws://${address}/`;
    // Extra worker processes start after the first one listens.
    if (spec.workers > 1) await new Promise((done) => setTimeout(done, 500));
  } catch (error) {
    await server.stop();
    throw new Error(
      `${describe(spec)} did not start: ${(error as Error).message}`,
    );
  }
  return server;
}

export function describe(spec: ServerSpec): string {
  const workers = spec.workers > 1 ? ` ×${spec.workers}` : "";
  return `${spec.impl} ${spec.runtime}${workers}`;
}
