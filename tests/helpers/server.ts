/**
 * Starts the real server as a child process on either runtime, on a free
 * port, and collects its log lines so that tests can wait for and assert on
 * them. The command line and the line reader come from
 * tools/server_process.ts, which the benchmark uses too.
 */
import {
  bunPath,
  LineCollector,
  MAIN,
  type RuntimeName,
  serverCommand,
} from "../../tools/server_process.ts";
import type { Target } from "./targets.ts";

// The process basics are shared with the benchmark; tests take them from here.
export {
  bunPath,
  LineCollector,
  MAIN,
  ROOT,
  type RuntimeName,
  serverCommand,
} from "../../tools/server_process.ts";

export interface StartOptions {
  /** Extra arguments; `--port 0 --log-format json` and the target's come first. */
  args?: string[];
  env?: Record<string, string>;
}

/** A running server process. `await using` stops it at the end of a test. */
export class ServerProcess implements AsyncDisposable {
  readonly stderr: LineCollector;
  readonly stdout: LineCollector;
  /** `ws://127.0.0.1:PORT/` */
  url = "";
  /** `http://127.0.0.1:PORT` */
  http = "";
  port = 0;
  private exit?: Promise<Deno.CommandStatus>;

  constructor(
    readonly target: Target,
    readonly child: Deno.ChildProcess,
  ) {
    this.stderr = new LineCollector(child.stderr);
    this.stdout = new LineCollector(child.stdout);
  }

  /** Parsed JSON log records (the server runs with `--log-format json`). */
  records(): LogRecordJson[] {
    return this.stderr.lines.filter((line) => line.startsWith("{")).map((
      line,
    ) => JSON.parse(line));
  }

  /** Waits for a log record whose message contains `text`. */
  async waitForLog(text: string, ms?: number): Promise<LogRecordJson> {
    const line = await this.stderr.waitFor(
      (l) => l.startsWith("{") && JSON.parse(l).message.includes(text),
      ms,
    );
    return JSON.parse(line);
  }

  /**
   * Waits for `findPort` (the port the server's start-up line names) and
   * records the addresses; a server that never gets there is killed.
   */
  async untilListening(findPort: () => Promise<number>): Promise<this> {
    try {
      const port = await findPort();
      this.port = port;
      this.url = `ws://127.0.0.1:${port}/`;
      this.http = `http://127.0.0.1:${port}`;
    } catch (error) {
      await this.stop("SIGKILL");
      throw error;
    }
    return this;
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!this.exit) {
      try {
        this.child.kill(signal);
      } catch { /* already gone */ }
    }
    return await this.status();
  }

  /** The exit status, once the process ends by itself. */
  status(): Promise<Deno.CommandStatus> {
    this.exit ??= Promise.all([
      this.child.status,
      this.stderr.done,
      this.stdout.done,
    ]).then(([status]) => status);
    return this.exit;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 8000);
    await this.stop();
    clearTimeout(timer);
  }
}

export interface LogRecordJson {
  "@timestamp": string;
  level: string;
  message: string;
  logger: string;
  properties: Record<string, unknown>;
}

/** Starts the target's server on a free port and waits until it listens. */
export async function startServer(
  target: Target,
  options: StartOptions = {},
): Promise<ServerProcess> {
  const [command, args] = serverCommand(target.runtime, [
    "--port",
    "0",
    "--log-format",
    "json",
    ...target.args,
    ...(options.args ?? []),
  ]);
  return await launchServer(target, command, args, { env: options.env });
}

export interface LaunchOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** The start-up log text to wait for. */
  listening?: string;
}

/**
 * Starts any command that runs the server (a compiled binary, `deno serve`)
 * and waits for its log line `listening` ("listening on", "serving on").
 * The command must log JSON Lines on stderr, and `args` must already
 * carry the target's own arguments (where they go depends on the command).
 */
export async function launchServer(
  target: Target,
  command: string,
  args: string[],
  { env, cwd, listening = "listening on" }: LaunchOptions = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(command, {
    args,
    env,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new ServerProcess(target, child);
  return await server.untilListening(async () => {
    const record = await server.waitForLog(listening);
    return Number(new URL(String(record.properties.url)).port);
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the target's `main.ts` to completion (for --help, --version, bad
 * input). The target's arguments come first, so that `args` decide any
 * option given twice and the error a test expects is about `args`.
 */
export async function runCli(
  target: Target,
  args: string[],
  env?: Record<string, string>,
): Promise<RunResult> {
  const [command, fullArgs] = serverCommand(target.runtime, [
    ...target.args,
    ...args,
  ]);
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args: fullArgs,
    env,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/**
 * The help hint that ends a usage error of `main.ts` run by
 * {@linkcode serverCommand} (the server by {@linkcode runCli}, the client
 * by tests/helpers/client.ts): the command it was started with, `--help`
 * in place of its arguments. Bun reads its own command line; Deno without
 * `-A` may not, and names its script from the working directory.
 */
export function helpHint(
  runtime: RuntimeName,
  command: "server" | "client" = "server",
): string {
  const cwd = Deno.cwd() + "/";
  const words = runtime === "deno"
    ? ["deno", "run", MAIN.startsWith(cwd) ? MAIN.slice(cwd.length) : MAIN]
    : [bunPath(), MAIN];
  if (command === "client") words.push("client");
  return `(see '${[...words, "--help"].join(" ")}')`;
}
