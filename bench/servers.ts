/**
 * Starts the servers under test: wsecho itself (main.ts, default options)
 * and the bare baselines in this folder, on Deno or Bun, with one worker or
 * several, pinned to their CPUs, and knows when they listen.
 */
import { fileURLToPath } from "node:url";
import { processTree } from "./proc.ts";
import {
  bunPath,
  LineCollector,
  MAIN,
  type RuntimeName,
  serverCommand,
} from "../tools/server_process.ts";

export type { RuntimeName };
export type Impl = "bare" | "wsecho";

/**
 * Which WebSocket engine wsecho runs on (its `--engine` option): the
 * runtime's own (`builtin`, the default) or the project's (`wsecho`, issue
 * 12; Deno only).
 */
export type Engine = "builtin" | "wsecho";
export const ENGINES: readonly Engine[] = ["builtin", "wsecho"];

export interface ServerSpec {
  runtime: RuntimeName;
  impl: Impl;
  /** wsecho's `--engine`; absent means the built-in one (and for bare). */
  engine?: Engine;
  workers: number;
  /** Extra flags for `deno run` (e.g. `--cpu-prof`); Deno only. */
  runFlags?: string[];
}

/** The engine a wsecho server runs on (`undefined` for the bare echo). */
export function engineOf(spec: ServerSpec): Engine | undefined {
  return spec.impl === "wsecho" ? spec.engine ?? "builtin" : undefined;
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
export function specCommand(
  spec: ServerSpec,
  port: number,
): { command: string[]; env: Record<string, string> } {
  const { runtime, impl, workers } = spec;
  const listen = ["--port", String(port), "--host", HOST];
  const env: Record<string, string> = { NO_COLOR: "1" };
  // Only named when it is ours: the default command stays the one measured
  // before engines existed, and works on a server that has no --engine.
  const engine = engineOf(spec) === "wsecho" ? ["--engine", "wsecho"] : [];
  if (runtime === "deno") {
    const deno = Deno.execPath();
    const runFlags = spec.runFlags ?? [];
    if (workers > 1 && engine.length > 0) {
      // `deno serve` cannot host the engine (it owns the listener), so
      // several engine processes are wsecho's own --workers, if it has it.
      return {
        command: withRunFlags(
          wsecho("deno", [
            ...listen,
            ...engine,
            "--workers",
            String(workers),
            "--log-format",
            "json",
          ]),
          runFlags,
        ),
        env,
      };
    }
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
          // -A, as docs/deployment.md says for `deno serve`: with --allow-net
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
          ...runFlags,
          "--allow-net",
          BENCH + "bare_deno.ts",
          ...listen,
        ],
        env,
      }
      : {
        command: withRunFlags(
          wsecho("deno", [...listen, ...engine, "--log-format", "json"]),
          runFlags,
        ),
        env,
      };
  }
  const multi = workers > 1 ? ["--workers", String(workers)] : [];
  return impl === "bare"
    ? { command: [bunPath(), BENCH + "bare_bun.ts", ...listen, ...multi], env }
    : {
      command: wsecho("bun", [
        ...listen,
        ...engine,
        "--log-format",
        "json",
        ...multi,
      ]),
      env,
    };
}

/** `deno run …` with `flags` right after `run`. */
function withRunFlags(command: string[], flags: string[]): string[] {
  const run = command.indexOf("run");
  return flags.length === 0 || run < 0
    ? command
    : [...command.slice(0, run + 1), ...flags, ...command.slice(run + 1)];
}

/** wsecho's own command line, the very one the tests start. */
function wsecho(runtime: RuntimeName, args: string[]): string[] {
  const [program, programArgs] = serverCommand(runtime, args);
  return [program, ...programArgs];
}

/**
 * Whether `spec` can run here: several workers need `deno serve --parallel`
 * (Deno 2) or wsecho's `--workers` option on Bun, which may not exist yet.
 * Returns why not, or `undefined`.
 */
export async function unsupportedReason(
  spec: ServerSpec,
): Promise<string | undefined> {
  if (spec.workers <= 1 || spec.impl === "bare") return undefined;
  if (engineOf(spec) === "wsecho") return await startFailure(spec);
  if (spec.runtime === "deno") return undefined;
  const { stdout } = await new Deno.Command(bunPath(), {
    args: [MAIN, "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).includes("--workers")
    ? undefined
    : "wsecho on Bun has no --workers option (multi-process mode) yet";
}

/**
 * Why `spec` does not start here, in the server's own words (its last line
 * on stderr, e.g. "wsecho: unknown option '--engine'"), or `undefined` once
 * it has listened. Starting it is the one sure test: a server may know the
 * option and still refuse the engine on this runtime or with workers.
 */
export async function startFailure(
  spec: ServerSpec,
): Promise<string | undefined> {
  try {
    const server = await startServer(spec, undefined);
    await server.stop();
    return undefined;
  } catch (error) {
    return (error as StartError).serverSaid ?? (error as Error).message;
  }
}

/** A server that did not start, with what it said last. */
export class StartError extends Error {
  constructor(message: string, readonly serverSaid: string | undefined) {
    super(message);
  }
}

/** A free TCP port on loopback, for servers whose workers share one port. */
function freePort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A server process that is listening. */
export class RunningServer<Spec = ServerSpec> {
  readonly stderr: LineCollector;
  private readonly stdout: LineCollector;
  readonly exited: Promise<Deno.CommandStatus>;
  private gone = false;
  url = "";

  constructor(readonly spec: Spec, readonly child: Deno.ChildProcess) {
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

  /**
   * SIGTERM, then SIGKILL if it lingers past `graceMs` (a profiled server
   * writes its profile on the way out, so it is given longer).
   */
  async stop(graceMs = 3000): Promise<void> {
    if (this.gone) return;
    this.resume(); // A stopped process would hold the SIGTERM until then.
    const kill = (signal: Deno.Signal) => {
      try {
        this.child.kill(signal);
      } catch { /* already gone */ }
    };
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), graceMs);
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
  const { command, env } = specCommand(spec, port);
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
    const said = server.stderr.lines.map((line) => line.trim())
      .filter((line) => line !== "").at(-1);
    throw new StartError(
      `${describe(spec)} did not start: ${(error as Error).message}`,
      said,
    );
  }
  return server;
}

export function describe(spec: ServerSpec): string {
  const workers = spec.workers > 1 ? ` ×${spec.workers}` : "";
  const engine = engineOf(spec) === "wsecho" ? " --engine wsecho" : "";
  return `${spec.impl}${engine} ${spec.runtime}${workers}`;
}

/**
 * Peers: other WebSocket echo servers, measured with `--peers` beside the
 * bare runtimes for context (two well-known echo servers). They are
 * not what the targets compare against.
 */
export type PeerName = "qt-echoserver" | "node-ws";
export const PEERS: readonly PeerName[] = ["qt-echoserver", "node-ws"];

export interface PeerSpec {
  peer: PeerName;
}

/** Where Debian's qtwebsockets5-examples puts Qt's echoserver example. */
const QT_ECHOSERVER_GLOB_DIR = "/usr/lib";
const QT_ECHOSERVER_PATH = "qt5/examples/websockets/echoserver/echoserver";

/** Qt's echoserver: `$WSECHO_QT_ECHOSERVER`, else Debian's example build. */
export function qtEchoserverPath(): string | undefined {
  const configured = Deno.env.get("WSECHO_QT_ECHOSERVER");
  if (configured) return configured;
  try {
    for (const entry of Deno.readDirSync(QT_ECHOSERVER_GLOB_DIR)) {
      const path =
        `${QT_ECHOSERVER_GLOB_DIR}/${entry.name}/${QT_ECHOSERVER_PATH}`;
      if (isFile(path)) return path;
    }
  } catch { /* no /usr/lib */ }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const NODE_WS_SCRIPT = BENCH + "peer_node_ws.mjs";
const WS_PACKAGE = fileURLToPath(
  new URL("../node_modules/ws/package.json", import.meta.url),
);

/** Why `peer` cannot run here (what to install), or `undefined`. */
export async function peerUnavailableReason(
  peer: PeerName,
): Promise<string | undefined> {
  if (peer === "qt-echoserver") {
    return qtEchoserverPath()
      ? undefined
      : "Qt's echoserver example is not installed (apt-get install qtwebsockets5-examples, or set WSECHO_QT_ECHOSERVER)";
  }
  if (!(await succeeds(["node", "--version"]))) {
    return "node is not on the PATH";
  }
  return isFile(WS_PACKAGE)
    ? undefined
    : "the ws package is not installed (deno task setup)";
}

async function succeeds(command: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command[0], {
      args: command.slice(1),
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** What the report calls `peer`, with its version. */
export async function peerLabel(peer: PeerName): Promise<string> {
  if (peer === "qt-echoserver") {
    const version = await outputOf([
      "dpkg-query",
      "-W",
      "-f",
      "${Version}",
      "qtwebsockets5-examples",
    ]);
    return `Qt echoserver example${
      version ? ` (Qt WebSockets ${version})` : ""
    }`;
  }
  const node = await outputOf(["node", "--version"]) ?? "";
  let ws = "";
  try {
    ws = JSON.parse(Deno.readTextFileSync(WS_PACKAGE)).version;
  } catch { /* reported as unknown */ }
  return `Node ${node || "?"} + ws ${ws || "?"}`;
}

/** A command's standard output, trimmed; `undefined` if it could not run. */
export async function outputOf(
  command: string[],
): Promise<string | undefined> {
  try {
    const { stdout } = await new Deno.Command(command[0], {
      args: command.slice(1),
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(stdout).trim();
  } catch {
    return undefined;
  }
}

/** The command line of a peer listening on `port` of loopback. */
export function peerCommand(peer: PeerName, port: number): string[] {
  if (peer === "qt-echoserver") {
    // Qt's example takes only a port (and --debug, which logs every
    // message); it listens on all interfaces, and the load stays on loopback.
    return [qtEchoserverPath()!, "--port", String(port)];
  }
  return ["node", NODE_WS_SCRIPT, "--port", String(port), "--host", HOST];
}

/**
 * Starts `peer` pinned to `cpus` and waits until its port accepts
 * connections: Qt's example says nothing when it listens.
 */
export async function startPeer(
  peer: PeerName,
  cpus: string | undefined,
): Promise<RunningServer<PeerSpec>> {
  const port = freePort();
  const [program, ...args] = wrapCommand(peerCommand(peer, port), cpus);
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new RunningServer<PeerSpec>({ peer }, child);
  server.url = `ws://${HOST}:${port}/`;
  const deadline = performance.now() + 20_000;
  while (!(await accepts(port))) {
    if (!server.alive || performance.now() > deadline) {
      await server.stop();
      throw new Error(
        `${peer} did not start listening on port ${port}: ${server.stderr.text}`,
      );
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return server;
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: HOST, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
