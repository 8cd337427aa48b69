/**
 * The console echo client (`wsecho client URL`), in the spirit of Qt's
 * echoclient example, grown into a testing tool: connect (with TLS and
 * handshake options), send each stdin line, one `--message` or one `--file`,
 * print every echo (or, for a file, whether it came back byte for byte), and
 * close cleanly once the last echo is back — or at once on Ctrl-C.
 *
 * Runtime-agnostic: the connection is `npm:ws` on both runtimes (why: see
 * client_socket.ts), stdin and signals go through `node:process`, and
 * nothing here touches `Deno` or `Bun`.
 */
import process from "node:process";
import { GOING_AWAY, NORMAL_CLOSURE } from "../core/close_codes.ts";
import { logger } from "../core/log.ts";
import { hex, utf8Length } from "../core/payload.ts";
import { previewText } from "../core/preview.ts";
import {
  CLIENT_CLOSE_TIMEOUT_MS,
  type ClientOptions,
} from "../config/options.ts";
import { CLIENT_EXIT, ClientError } from "./client_error.ts";
import { outgoingMessages, readInputFile } from "./client_input.ts";
import {
  type ClientSocket,
  type CloseInfo,
  connect,
  type Handshake,
  type Received,
} from "./client_socket.ts";
import { withTimeout } from "../core/timeout.ts";

/** Where the client reads and writes; the real process unless a test says. */
export interface ClientIo {
  /** stdin's bytes, as they arrive. */
  stdin(): AsyncIterable<Uint8Array>;
  /** Prints one echo (or a `--file` verdict) on its own line (stdout). */
  print(line: string): void;
  /** Reports why the client failed, as one line (stderr). */
  fail(message: string): void;
  /** Calls `handler` on each Ctrl-C (SIGINT); returns how to stop that. */
  onInterrupt(handler: () => void): () => void;
  /** Resolves once everything printed has been handed to the OS. */
  flush(): Promise<void>;
}

/**
 * Runs the client to the end; resolves to the process exit code. Logging is
 * set up by the caller (lib/app/start.ts), as for the server.
 */
export async function runClient(
  options: ClientOptions,
  io: ClientIo = processIo(),
): Promise<number> {
  const interrupts = new Interrupts(io);
  try {
    return await echoSession(options, io, interrupts);
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    io.fail(error.message);
    return error.exitCode;
  } finally {
    interrupts.dispose();
    await io.flush();
  }
}

/** How the sending part of a session ended. */
type Ending =
  | { kind: "echoed" }
  | { kind: "closed"; close: CloseInfo }
  | { kind: "interrupted" }
  | { kind: "bad-input"; error: unknown };

async function echoSession(
  options: ClientOptions,
  io: ClientIo,
  interrupts: Interrupts,
): Promise<number> {
  const log = logger("client");
  if (options.insecure) {
    log.warn(
      "-k/--insecure: the server's certificate is not checked; anyone on the way can read and change this connection",
    );
  }
  // Read before connecting, so that a bad path costs no connection.
  const file = options.file === undefined
    ? undefined
    : await readInputFile(options.file);

  // Send times of the messages still waiting for their echo, oldest first:
  // an echo server answers in order, so each echo matches the head.
  const sentAt: number[] = [];
  let received = 0;
  let mismatch = false;
  let inputDone = false;
  let allEchoed!: () => void;
  const echoed = new Promise<Ending>((resolve) =>
    allEchoed = () => resolve({ kind: "echoed" })
  );
  const checkDone = () => {
    if (inputDone && sentAt.length === 0) allEchoed();
  };
  const onMessage = (data: Received) => {
    const rtt = performance.now() - (sentAt.shift() ?? NaN);
    received++;
    if (file === undefined) {
      io.print(typeof data === "string" ? data : hex(data));
    } else {
      const verdict = compareEcho(file, data);
      mismatch ||= verdict.startsWith("echo differs");
      io.print(verdict);
    }
    if (options.debug) logEcho(received, data, rtt);
    checkDone();
  };

  const socket = await Promise.race([
    connect(options, onMessage),
    interrupts.first,
  ]);
  if (socket === "interrupted") return CLIENT_EXIT.interrupted;
  logConnected(options.url, socket.handshake, options.debug);

  const messages = file === undefined
    ? outgoingMessages(options, io.stdin)
    : [file];
  const sending = (async (): Promise<Ending> => {
    for await (const message of messages) {
      if (!socket.isOpen()) break;
      socket.send(message);
      sentAt.push(performance.now());
    }
    inputDone = true;
    checkDone();
    return await new Promise<never>(() => {}); // The other endings decide.
  })().catch((error): Ending => ({ kind: "bad-input", error }));

  const ending = await Promise.race([
    socket.closed.then((close): Ending => ({ kind: "closed", close })),
    echoed,
    interrupts.first.then((): Ending => ({ kind: "interrupted" })),
    sending,
  ]);
  switch (ending.kind) {
    case "closed": {
      const missing = sentAt.length;
      throw new ClientError(
        `connection closed by the server (${describeClose(ending.close)})` +
          (missing ? `; ${missing} echo(es) never arrived` : ""),
      );
    }
    case "interrupted":
      // 1001: the client is going away, not done with what it had to send.
      await closeAndWait(socket, GOING_AWAY, "interrupted", interrupts);
      return CLIENT_EXIT.interrupted;
    case "bad-input":
      await closeAndWait(socket, NORMAL_CLOSURE, "bad input", interrupts);
      throw ending.error;
    case "echoed": {
      const answer = await closeAndWait(
        socket,
        NORMAL_CLOSURE,
        "done",
        interrupts,
      );
      if (answer.code !== NORMAL_CLOSURE) {
        throw new ClientError(
          `connection closed with ${describeClose(answer)}`,
        );
      }
      log.debug("closed after {received} echo(es)", { received });
      return mismatch ? CLIENT_EXIT.mismatch : CLIENT_EXIT.ok;
    }
  }
}

/**
 * Sends a close frame and waits for the server's, briefly; a second Ctrl-C
 * stops waiting. Throws when the server does not answer in time.
 */
async function closeAndWait(
  socket: ClientSocket,
  code: number,
  reason: string,
  interrupts: Interrupts,
): Promise<CloseInfo> {
  socket.close(code, reason);
  const answer = await withTimeout(
    Promise.race([socket.closed, interrupts.second]),
    CLIENT_CLOSE_TIMEOUT_MS,
  );
  if (answer === undefined || answer === "interrupted") {
    socket.terminate();
    throw new ClientError(
      answer === undefined
        ? "the server did not answer the close frame in time"
        : "interrupted again; dropped the connection without waiting",
      code === GOING_AWAY ? CLIENT_EXIT.interrupted : CLIENT_EXIT.failed,
    );
  }
  return answer;
}

/** Ctrl-C: the first asks for a clean close, the second for none. */
class Interrupts {
  readonly first: Promise<"interrupted">;
  readonly second: Promise<"interrupted">;
  private readonly stop: () => void;

  constructor(io: ClientIo) {
    let count = 0;
    let onFirst!: () => void;
    let onSecond!: () => void;
    this.first = new Promise((resolve) =>
      onFirst = () => resolve("interrupted")
    );
    this.second = new Promise((resolve) =>
      onSecond = () => resolve("interrupted")
    );
    this.stop = io.onInterrupt(() => ++count === 1 ? onFirst() : onSecond());
  }

  dispose(): void {
    this.stop();
  }
}

/** `--file`'s verdict on one echo, as one line. */
export function compareEcho(sent: Uint8Array, echo: Received): string {
  if (typeof echo === "string") {
    return `echo differs: sent ${sent.length} bytes as binary, got text (${
      utf8Length(echo)
    } bytes)`;
  }
  const common = Math.min(sent.length, echo.length);
  let at = 0;
  while (at < common && sent[at] === echo[at]) at++;
  if (at === sent.length && at === echo.length) {
    return `echo matches: ${sent.length} bytes`;
  }
  return `echo differs: sent ${sent.length} bytes, got ${echo.length}; ` +
    `first difference at byte ${at}`;
}

function logConnected(url: string, handshake: Handshake, debug: boolean) {
  const log = logger("client");
  log.info(
    "connected to {url}: subprotocol {protocol}, extensions {extensions}",
    {
      url,
      protocol: handshake.protocol || "none",
      extensions: handshake.extensions || "none",
    },
  );
  if (!debug) return;
  log.debug("< {status}", { status: handshake.status });
  for (const [name, value] of handshake.headers) {
    // JSON escaping keeps a hostile server's bytes out of the terminal.
    log.debug("< {name}: {value}", {
      name,
      value: JSON.stringify(value).slice(1, -1),
    });
  }
}

function logEcho(n: number, data: Received, rtt: number) {
  const text = typeof data === "string";
  logger("client").debug(
    "echo #{n}: {type}, {size} bytes, round trip {rtt} ms",
    {
      n,
      type: text ? "text" : "binary",
      size: text ? utf8Length(data) : data.byteLength,
      rtt: Number(rtt.toFixed(3)),
    },
  );
}

function describeClose({ code, reason }: CloseInfo): string {
  return `code ${code}` + (reason ? ` ${previewText(reason)}` : "");
}

/** stdin, stdout, stderr and SIGINT of this process. */
export function processIo(): ClientIo {
  return {
    stdin: () => process.stdin,
    print: (line) => void process.stdout.write(line + "\n"),
    fail: (message) => void process.stderr.write(`wsecho client: ${message}\n`),
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      return () => void process.off("SIGINT", handler);
    },
    flush: () =>
      new Promise((resolve) => process.stdout.write("", () => resolve())),
  };
}
