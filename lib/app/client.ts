/**
 * The console echo client (`wsecho client URL`), in the spirit of Qt's
 * echoclient example: connect, send each stdin line (or one `--message`),
 * print every echo, close cleanly once the last echo is back.
 *
 * Runtime-agnostic: `WebSocket` is a global on Deno and Bun alike, stdin is
 * read through `node:readline`, and nothing here touches `Deno` or `Bun`.
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { NORMAL_CLOSURE } from "../core/close_codes.ts";
import { logger } from "../core/log.ts";
import { hex, utf8Length } from "../core/payload.ts";
import { previewText } from "../core/preview.ts";
import type { ClientOptions } from "../config/options.ts";
import { setupLogging } from "./logging.ts";
import { withTimeout } from "./timeout.ts";

/** How long to wait for the server's answer to our close frame. */
export const CLOSE_TIMEOUT_MS = 2000;

/** Where the client reads and writes; the real process unless a test says. */
export interface ClientIo {
  /** The lines to send, ending when the input does. */
  lines(): AsyncIterable<string>;
  /** Prints one echo on its own line (stdout). */
  print(line: string): void;
  /** Reports why the client failed, as one line (stderr). */
  fail(message: string): void;
  /** Resolves once everything printed has been handed to the OS. */
  flush(): Promise<void>;
}

/** The connection ended before the client was done. */
class ClientError extends Error {}

interface CloseInfo {
  code: number;
  reason: string;
}

/** Runs the client to the end; resolves to the process exit code. */
export async function runClient(
  options: ClientOptions,
  io: ClientIo = processIo(),
): Promise<number> {
  setupLogging({ debug: options.debug, format: options.logFormat });
  try {
    await echoSession(options, io);
    return 0;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    io.fail(error.message);
    return 1;
  } finally {
    await io.flush();
  }
}

async function echoSession(options: ClientOptions, io: ClientIo) {
  const log = logger("client");
  const socket = new WebSocket(options.url);
  socket.binaryType = "arraybuffer";
  const closed = new Promise<CloseInfo>((resolve) => {
    socket.addEventListener("close", (event) => resolve(event));
  });
  await opened(socket, closed, options.url);
  log.debug("connected to {url}", { url: options.url });

  // Send times of the messages still waiting for their echo, oldest first:
  // an echo server answers in order, so each echo matches the head.
  const sentAt: number[] = [];
  let received = 0;
  let inputDone = false;
  let closing = false;
  const closeWhenDone = () => {
    if (inputDone && sentAt.length === 0 && !closing) {
      closing = true;
      socket.close(NORMAL_CLOSURE, "done");
    }
  };

  socket.addEventListener("message", (event) => {
    const rtt = performance.now() - (sentAt.shift() ?? NaN);
    received++;
    const data: string | ArrayBuffer = event.data;
    io.print(typeof data === "string" ? data : hex(new Uint8Array(data)));
    if (options.debug) logEcho(received, data, rtt);
    closeWhenDone();
  });

  const sending = (async () => {
    for await (const line of messages(options, io)) {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(options.binary ? new TextEncoder().encode(line) : line);
      sentAt.push(performance.now());
    }
    inputDone = true;
    closeWhenDone();
  })();
  sending.catch(() => {}); // Its failure is reported through the race below.

  const close = await Promise.race([
    closed,
    sending.then(() => new Promise<never>(() => {})),
  ]);
  if (!closing) {
    const missing = sentAt.length;
    throw new ClientError(
      `connection closed by the server (${describeClose(close)})` +
        (missing ? `; ${missing} echo(es) never arrived` : ""),
    );
  }
  const answer = await withTimeout(closed, CLOSE_TIMEOUT_MS);
  if (answer === undefined) {
    throw new ClientError("the server did not answer the close frame in time");
  }
  if (answer.code !== NORMAL_CLOSURE) {
    throw new ClientError(`connection closed with ${describeClose(answer)}`);
  }
  log.debug("closed after {received} echo(es)", { received });
}

/** Resolves when the handshake is done; a close before that is a failure. */
function opened(
  socket: WebSocket,
  closed: Promise<CloseInfo>,
  url: string,
): Promise<void> {
  let reason = "";
  socket.addEventListener("error", (event) => {
    reason = (event as ErrorEvent).message ?? "";
  }, { once: true });
  return new Promise((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    closed.then(() =>
      reject(
        new ClientError(
          `cannot connect to ${url}` + (reason ? `: ${oneLine(reason)}` : ""),
        ),
      )
    );
  });
}

/** The `--message` once, or stdin line by line. */
async function* messages(options: ClientOptions, io: ClientIo) {
  if (options.message !== undefined) {
    yield options.message;
    return;
  }
  yield* io.lines();
}

function logEcho(n: number, data: string | ArrayBuffer, rtt: number) {
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

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** stdin, stdout and stderr of this process. */
export function processIo(): ClientIo {
  return {
    lines: () => createInterface({ input: process.stdin, terminal: false }),
    print: (line) => void process.stdout.write(line + "\n"),
    fail: (message) => void process.stderr.write(`wsecho client: ${message}\n`),
    flush: () =>
      new Promise((resolve) => process.stdout.write("", () => resolve())),
  };
}
