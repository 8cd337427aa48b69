/**
 * The console client's connection: opens a WebSocket with the handshake and
 * TLS options of the command line, and turns a failed connect into one line
 * a person can act on.
 *
 * Why `npm:ws` and not the runtimes' global `WebSocket`: the client must
 * accept a self-signed certificate (`-k`), trust a given PEM (`--ca`), send
 * any header (`-H`, `--origin`) and show the response's headers (`--debug`)
 * and, on a refused handshake, its status and body — on Deno and Bun alike.
 * Deno's `WebSocket` takes `headers` and an experimental `client` from
 * `Deno.createHttpClient({ caCerts })`, but has no per-connection way to skip
 * certificate checks (only `--unsafely-ignore-certificate-errors` or
 * `DENO_CERT`, which the process cannot set for itself) and shows neither
 * response headers nor a refused handshake's status. Bun's `WebSocket` takes
 * `headers` and `tls: { rejectUnauthorized, ca }`, but shows no response
 * either. `ws` over `node:https` does all of it on Deno; on Bun, `import
 * "ws"` is Bun's built-in `ws` (backed by Bun's client), which takes the same
 * options and emits the same `upgrade` and `unexpected-response` events.
 * Both paths are tested end to end (tests/e2e/client_*_test.ts).
 */
import type { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { messageOf } from "../core/errors.ts";
import type { ClientOptions } from "../config/options.ts";
import { ClientError } from "./client_error.ts";
import { helpHint } from "../cli/help_hint.ts";

/** What the server answered to the handshake. */
export interface Handshake {
  /** The response's status line, e.g. `HTTP/1.1 101 Switching Protocols`. */
  status: string;
  /** The negotiated subprotocol, `""` for none. */
  protocol: string;
  /** The negotiated extensions as the server listed them, `""` for none. */
  extensions: string;
  /** The 101 response's headers, as received. */
  headers: Array<[name: string, value: string]>;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/** An open connection to the echo server. */
export interface ClientSocket {
  readonly handshake: Handshake;
  /** Resolves once the connection is closed, cleanly or not. */
  readonly closed: Promise<CloseInfo>;
  /** Whether messages can still be sent. */
  isOpen(): boolean;
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Drops the TCP connection without a closing handshake. */
  terminate(): void;
}

/** A received message: text as a string, binary as bytes. */
export type Received = string | Uint8Array;

/** How much of a refused handshake's body is shown. */
const REFUSAL_BODY_LIMIT = 200;
/** How long to wait for a refused handshake's body before reporting. */
const REFUSAL_BODY_WAIT_MS = 1000;

/**
 * Connects; `onMessage` sees every message from the start. Rejects with a
 * {@linkcode ClientError} that says why the connection failed.
 */
export function connect(
  options: ClientOptions,
  onMessage: (data: Received) => void,
): Promise<ClientSocket> {
  const socket = new WebSocket(options.url, options.protocols, {
    headers: Object.fromEntries(options.headers),
    origin: options.origin,
    ca: options.ca?.pem,
    rejectUnauthorized: !options.insecure,
  });
  const closed = new Promise<CloseInfo>((resolve) => {
    socket.on(
      "close",
      (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString("utf8") }),
    );
  });
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    onMessage(
      isBinary
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : data.toString("utf8"),
    );
  });

  let headers: Array<[string, string]> = [];
  let status = "";
  socket.on("upgrade", (response: IncomingMessage) => {
    headers = headerPairs(response.rawHeaders);
    status = `HTTP/${response.httpVersion} ${response.statusCode} ${
      response.statusMessage ?? ""
    }`.trim();
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new ClientError(`cannot connect to ${options.url}: ${why}`));
    // After a failure `ws` may still report errors; they are all handled here.
    socket.on("error", (error: Error) => fail(explainConnectError(error)));
    socket.on(
      "unexpected-response",
      async (_request: unknown, response: IncomingMessage) => {
        fail(await explainRefusal(response));
        socket.terminate();
      },
    );
    closed.then(() => fail("the connection closed during the handshake"));
    socket.once("open", () =>
      resolve({
        handshake: {
          status,
          protocol: socket.protocol,
          extensions: extensionsHeader(headers),
          headers,
        },
        closed,
        isOpen: () => socket.readyState === WebSocket.OPEN,
        send: (data) => socket.send(data, { binary: typeof data !== "string" }),
        close: (code, reason) => socket.close(code, reason),
        terminate: () => socket.terminate(),
      }));
  });
}

// Node's codes for a certificate that chains to no trusted root; Bun uses
// the same ones.
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);

/** One line for a connect that failed below HTTP (TCP, TLS). */
export function explainConnectError(error: Error): string {
  const code = (error as { code?: string }).code ?? "";
  const message = oneLine(messageOf(error));
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `the server's certificate is not trusted (${message}); ` +
      `trust it with --ca FILE, or skip the check with -k/--insecure ${
        helpHint("client")
      }`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `the server's certificate is not for this host (${message}); ` +
      `use a name it lists, or skip the check with -k/--insecure ${
        helpHint("client")
      }`;
  }
  if (/cert/i.test(code) || /certificate/i.test(message)) {
    return `the server's certificate was refused (${message}); ` +
      `-k/--insecure skips the check ${helpHint("client")}`;
  }
  if (code === "ECONNREFUSED") return `connection refused (${message})`;
  return message;
}

/** One line for a server that answered the handshake with another status. */
async function explainRefusal(response: IncomingMessage): Promise<string> {
  const body = oneLine(await readSome(response, REFUSAL_BODY_WAIT_MS));
  const shown = body.length > REFUSAL_BODY_LIMIT
    ? body.slice(0, REFUSAL_BODY_LIMIT) + "…"
    : body;
  return `the server refused the handshake with HTTP ${response.statusCode}` +
    (response.statusMessage ? ` ${response.statusMessage}` : "") +
    (shown ? `: ${JSON.stringify(shown)}` : "");
}

/** The response body's first bytes, as text; whatever came within `ms`. */
function readSome(response: IncomingMessage, ms: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve(chunks.map((chunk) => chunk.toString("utf8")).join(""));
    };
    const timer = setTimeout(done, ms);
    response.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > REFUSAL_BODY_LIMIT * 4) done();
    });
    response.on("end", done);
    response.on("error", done);
  });
}

/** `rawHeaders` (`[name, value, name, value, …]`) as pairs, names as sent. */
function headerPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
}

/**
 * The `Sec-WebSocket-Extensions` the server answered with, parameters
 * included (`ws`'s `extensions` gives the names only).
 */
function extensionsHeader(headers: Array<[string, string]>): string {
  return headers.filter(([name]) =>
    name.toLowerCase() === "sec-websocket-extensions"
  ).map(([, value]) => value).join(", ");
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
