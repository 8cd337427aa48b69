/**
 * Runs the console client (`main.ts client …`) as a real process, for the
 * client's end-to-end tests.
 */
import { LineCollector, type RuntimeName, serverCommand } from "./server.ts";

export interface ClientRun {
  code: number;
  /** stdout as bytes: some tests compare exact bytes. */
  bytes: Uint8Array;
  stdout: string;
  stderr: string;
}

/** Runs the client to completion with `input` on its stdin. */
export async function runClient(
  runtime: RuntimeName,
  args: string[],
  input: string | Uint8Array = "",
): Promise<ClientRun> {
  const child = spawn(runtime, args);
  const writer = child.stdin.getWriter();
  await writer.write(
    typeof input === "string" ? new TextEncoder().encode(input) : input,
  );
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return {
    code,
    bytes: stdout,
    stdout: text.decode(stdout),
    stderr: text.decode(stderr),
  };
}

/** A client left running, its output read line by line as it comes. */
export interface RunningClient {
  child: Deno.ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
}

/** Starts the client with stdin left open. */
export function startClient(
  runtime: RuntimeName,
  args: string[],
): RunningClient {
  const child = spawn(runtime, args);
  return {
    child,
    stdout: new LineCollector(child.stdout),
    stderr: new LineCollector(child.stderr),
    stdin: child.stdin.getWriter(),
  };
}

function spawn(runtime: RuntimeName, args: string[]): Deno.ChildProcess {
  const [command, fullArgs] = serverCommand(runtime, ["client", ...args]);
  return new Deno.Command(command, {
    args: fullArgs,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The client's connect line (pretty format), for `url`. */
export function connectLine(
  url: string,
  protocol = "none",
  extensions = "none",
): RegExp {
  const escaped = url.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
  return new RegExp(
    `^\\S+ \\S+ \\[INF\\] wsecho\\.client: connected to ${escaped}: ` +
      `subprotocol ${protocol}, extensions ${extensions}$`,
  );
}

/** stderr's lines without the connect line and the empty last one. */
export function stderrBesidesConnect(stderr: string): string[] {
  return stderr.split("\n").filter((line) =>
    line !== "" && !line.includes("wsecho.client: connected to ")
  );
}
