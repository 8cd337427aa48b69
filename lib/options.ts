/**
 * Command-line parsing: argv (and a few environment variables) in, a typed
 * command out. Nothing here prints or exits; bad input becomes a
 * {@linkcode UsageError} that `main.ts` reports as one line with its exit code.
 * The only I/O is reading the `--cert`/`--key` files (through an injected
 * reader), so that an unreadable one is bad input like any other.
 *
 * `node:util` `parseArgs` is used because JSR's `@std/cli` cannot be reached
 * from our build machines, and it is built into both Deno and Bun.
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { normalizeOrigin } from "./origin.ts";
import { isProtocolName } from "./subprotocol.ts";
import {
  loadTlsCredentials,
  readTextFile,
  type TextFileReader,
  type TlsCredentials,
  TlsFileError,
} from "./tls.ts";
import {
  type ConnectionLimits,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_BUFFERED,
  DEFAULT_MAX_MESSAGE,
  DEFAULT_SHUTDOWN_TIMEOUT,
  LimitSyntaxError,
  MAX_IDLE_TIMEOUT,
  MAX_SHUTDOWN_TIMEOUT,
  parseByteSize,
  parseSeconds,
} from "./limits.ts";

export type LogFormat = "pretty" | "json";

/** Everything the server needs to start, already validated. */
export interface ServerOptions extends ConnectionLimits {
  port: number;
  host: string;
  debug: boolean;
  logFormat: LogFormat;
  /** `--origin`, normalized; empty means any origin may connect. */
  origins: string[];
  /** `--require-origin`: refuse handshakes without an `Origin` header. */
  requireOrigin: boolean;
  /** `--protocol`: subprotocols we negotiate, in our order of listing. */
  protocols: string[];
  /** `--max-clients`: most clients at once; 0 is unlimited. */
  maxClients: number;
  /** `--cert` and `--key`, read; `undefined` serves plain `ws://`. */
  tls: TlsCredentials | undefined;
  /** Processes serving the port (Bun, Linux): 1 is this process alone. */
  workers: number;
  /** Seconds from SIGINT/SIGTERM to exit, waiting for clients included. */
  shutdownTimeout: number;
}

export type Command =
  | { kind: "serve"; options: ServerOptions }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "client"; options: ClientOptions }
  | { kind: "client-help" };

/** Bad command-line input: the message is one line meant for a person. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = "UsageError";
  }
}

export const DEFAULT_PORT = 1234;
/** All interfaces, like Qt's echoserver (`QHostAddress::Any`). */
export const DEFAULT_HOST = "0.0.0.0";

export const HELP = `Usage: wsecho [options]

An RFC 6455 WebSocket echo server: every text and binary message is sent
back to its sender, text as text and binary as binary.

Options:
  -p, --port PORT        port to listen on (default ${DEFAULT_PORT}, or $PORT;
                         0 picks a free port)
  -H, --host HOST        address to listen on (default ${DEFAULT_HOST}, all IPv4
                         interfaces; "::" for all IPv6 and IPv4 interfaces)
  -d, --debug            log every message, connect and disconnect
      --log-format FMT   "pretty" (default) or "json" (JSON Lines)
  -h, --help             show this help and exit
  -V, --version          show the version and exit

Access and transport:
      --origin ORIGIN    allow browser pages from ORIGIN (repeatable, e.g.
                         https://example.com); others get 403. Default: any
      --require-origin   with --origin: also refuse clients that send no
                         Origin header (non-browser clients send none)
      --protocol NAME    a subprotocol we speak (repeatable); the first the
                         client offers is chosen. Default: none
      --max-clients N    most clients at once, others get 503 (default 0,
                         unlimited)
      --cert FILE        PEM certificate chain: serve wss:// and https://
      --key FILE         PEM private key for --cert

Scaling:
  -w, --workers N        serve the port from N processes (Bun on Linux,
                         SO_REUSEPORT; default 1). On Deno use
                         'deno serve --parallel main.ts' instead.

Limits (BYTES: a whole number, or with a unit: 64KiB, 16MiB):
      --max-message BYTES      largest message echoed; larger ones close
                               the connection with 1009 (default 16MiB)
      --max-buffered BYTES     bytes queued for a client that does not read
                               before it is closed with 1008 (default 4MiB)
      --idle-timeout SECONDS   ping silent peers and drop those that do not
                               answer within SECONDS (default ${DEFAULT_IDLE_TIMEOUT}; 0: never)
      --shutdown-timeout SECONDS
                               on SIGINT/SIGTERM, exit within SECONDS, waiting
                               for clients to close until 1.5 s before
                               (default ${DEFAULT_SHUTDOWN_TIMEOUT})
      --permessage-deflate     negotiate compression (Bun; Deno cannot)

Console client: wsecho client URL [options] (see 'wsecho client --help').

HTTP routes: GET / (browser echo client), GET /healthz (JSON status),
GET /metrics (Prometheus). Any path accepts a WebSocket upgrade.
`;

const SPEC = {
  port: { type: "string", short: "p" },
  host: { type: "string", short: "H" },
  debug: { type: "boolean", short: "d", default: false },
  "log-format": { type: "string", default: "pretty" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", short: "V", default: false },
  origin: { type: "string", multiple: true },
  "require-origin": { type: "boolean", default: false },
  protocol: { type: "string", multiple: true },
  "max-clients": { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  workers: { type: "string", short: "w" },
  "max-message": { type: "string" },
  "max-buffered": { type: "string" },
  "idle-timeout": { type: "string" },
  "shutdown-timeout": { type: "string" },
  "permessage-deflate": { type: "boolean", default: false },
} as const;

/** Reads an environment variable; injected so tests need no real environment. */
export type EnvReader = (name: string) => string | undefined;

export function parseCommand(
  args: string[],
  env: EnvReader,
  readFile: TextFileReader = readTextFile,
): Command {
  if (args[0] === CLIENT_COMMAND) return parseClientCommand(args.slice(1));
  const { values, positionals } = parseOrExplain(args, SPEC);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}'`);
  }

  const portText = values.port ?? env("PORT");
  const port = portText === undefined
    ? DEFAULT_PORT
    : parsePort(portText, values.port === undefined ? "PORT" : "--port");

  return {
    kind: "serve",
    options: {
      port,
      host: parseHost(values.host ?? DEFAULT_HOST),
      debug: values.debug,
      logFormat: parseLogFormat(values["log-format"]),
      origins: parseOrigins(values.origin ?? [], values["require-origin"]),
      requireOrigin: values["require-origin"],
      protocols: parseProtocols(values.protocol ?? []),
      maxClients: parseCount(values["max-clients"] ?? "0", "--max-clients"),
      tls: parseTls(values.cert, values.key, readFile),
      workers: values.workers === undefined ? 1 : parseWorkers(values.workers),
      ...parseLimits(values),
    },
  };
}

type LimitOptions = Pick<
  ServerOptions,
  keyof ConnectionLimits | "shutdownTimeout"
>;

function parseLimits(
  values: ReturnType<typeof parseOrExplain<typeof SPEC>>["values"],
): LimitOptions {
  try {
    const bytes = (text: string | undefined, flag: string, fallback: number) =>
      text === undefined ? fallback : parseByteSize(text, flag);
    const seconds = (
      text: string | undefined,
      flag: string,
      fallback: number,
      max: number,
    ) => text === undefined ? fallback : parseSeconds(text, flag, max);
    return {
      maxMessage: bytes(
        values["max-message"],
        "--max-message",
        DEFAULT_MAX_MESSAGE,
      ),
      maxBuffered: bytes(
        values["max-buffered"],
        "--max-buffered",
        DEFAULT_MAX_BUFFERED,
      ),
      idleTimeout: seconds(
        values["idle-timeout"],
        "--idle-timeout",
        DEFAULT_IDLE_TIMEOUT,
        MAX_IDLE_TIMEOUT,
      ),
      shutdownTimeout: seconds(
        values["shutdown-timeout"],
        "--shutdown-timeout",
        DEFAULT_SHUTDOWN_TIMEOUT,
        MAX_SHUTDOWN_TIMEOUT,
      ),
      permessageDeflate: values["permessage-deflate"],
    };
  } catch (error) {
    if (error instanceof LimitSyntaxError) throw new UsageError(error.message);
    throw error;
  }
}

function parseOrExplain<T extends ParseArgsOptionsConfig>(
  args: string[],
  spec: T,
) {
  try {
    return parseArgs({
      args,
      options: spec,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(explainParseError(error));
  }
}

/** Turns Node's verbose parseArgs errors into one short line. */
function explainParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Node names the option as '--name', '-p, --name <value>' or '-x'.
  const option = /--[\w-]+/.exec(message)?.[0] ??
    /'(-[^'\s]*)'/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${option}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing|ambiguous/.test(message)
        ? `option '${option}' needs a value`
        : `option '${option}' takes no value`;
    default:
      return message.split("\n")[0];
  }
}

/** A decimal port 0-65535; 0 asks the OS for a free port. */
export function parsePort(text: string, source: string): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535) {
    throw new UsageError(
      `${source} must be a whole number from 0 to 65535, got '${text}'`,
    );
  }
  return Number(text);
}

function parseHost(text: string): string {
  // Accept the URL form "[::1]" as well as the bare "::1".
  const host = text.startsWith("[") && text.endsWith("]")
    ? text.slice(1, -1)
    : text;
  if (host === "" || /[\s/]/.test(host)) {
    throw new UsageError(`--host must be an address or name, got '${text}'`);
  }
  return host;
}

function parseLogFormat(text: string): LogFormat {
  if (text === "pretty" || text === "json") return text;
  throw new UsageError(
    `--log-format must be 'pretty' or 'json', got '${text}'`,
  );
}

function parseOrigins(texts: string[], requireOrigin: boolean): string[] {
  if (requireOrigin && texts.length === 0) {
    throw new UsageError("--require-origin needs at least one --origin");
  }
  return texts.map((text) => {
    const origin = normalizeOrigin(text);
    if (origin === undefined) {
      throw new UsageError(
        `--origin must be an origin like 'https://example.com' (scheme, host, optional port), got '${text}'`,
      );
    }
    return origin;
  });
}

function parseProtocols(names: string[]): string[] {
  for (const name of names) {
    if (!isProtocolName(name)) {
      throw new UsageError(
        `--protocol must be an HTTP token (letters, digits, !#$%&'*+-.^_\`|~), got '${name}'`,
      );
    }
  }
  return [...new Set(names)];
}

/** A whole number from 0 up, e.g. for limits where 0 means "no limit". */
export function parseCount(text: string, source: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) {
    throw new UsageError(
      `${source} must be a whole number from 0 up, got '${text}'`,
    );
  }
  return Number(text);
}

function parseTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  readFile: TextFileReader,
): TlsCredentials | undefined {
  try {
    return loadTlsCredentials(certFile, keyFile, readFile);
  } catch (error) {
    if (error instanceof TlsFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** The most processes `--workers` starts; more only adds contention. */
export const MAX_WORKERS = 128;

function parseWorkers(text: string): number {
  if (!/^\d{1,3}$/.test(text.trim()) || +text < 1 || +text > MAX_WORKERS) {
    throw new UsageError(
      `--workers must be a whole number from 1 to ${MAX_WORKERS}, got '${text}'`,
    );
  }
  return Number(text);
}

// ---------------------------------------------------------------------------
// `wsecho client URL`: the console echo client (lib/client.ts).

export const CLIENT_COMMAND = "client";

/** What the console client needs, already validated. */
export interface ClientOptions {
  /** `ws://` or `wss://` URL of the echo server. */
  url: string;
  /** Send each line as a binary message (its UTF-8 bytes) instead of text. */
  binary: boolean;
  /** Send this one message instead of reading lines from stdin. */
  message: string | undefined;
  /** Log each echo with its round-trip time. */
  debug: boolean;
  logFormat: LogFormat;
}

export const CLIENT_HELP = `Usage: wsecho client URL [options]

Connects to the WebSocket echo server at URL (ws:// or wss://), sends each
line read from stdin as a message, and prints each echo on stdout: text as
it came back, binary as lowercase hex. Exits 0 once stdin has ended, every
echo has arrived and the connection has closed cleanly (code 1000).

Options:
  -m, --message TEXT     send TEXT once instead of reading stdin
  -b, --binary           send binary messages (the UTF-8 bytes of each line)
  -d, --debug            log each echo with its round-trip time (stderr)
      --log-format FMT   "pretty" (default) or "json" (JSON Lines)
  -h, --help             show this help and exit

Exit codes: 0 all echoes received; 1 cannot connect, or the connection
closed before every echo arrived; 2 bad command line.
`;

const CLIENT_SPEC = {
  message: { type: "string", short: "m" },
  binary: { type: "boolean", short: "b", default: false },
  debug: { type: "boolean", short: "d", default: false },
  "log-format": { type: "string", default: "pretty" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export function parseClientCommand(args: string[]): Command {
  const { values, positionals } = parseOrExplain(args, CLIENT_SPEC);
  if (values.help) return { kind: "client-help" };
  if (positionals.length === 0) {
    throw new UsageError(
      "client needs a URL, e.g. 'wsecho client ws://localhost:1234/'",
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}'`);
  }
  return {
    kind: "client",
    options: {
      url: parseWebSocketUrl(positionals[0]),
      binary: values.binary,
      message: values.message,
      debug: values.debug,
      logFormat: parseLogFormat(values["log-format"]),
    },
  };
}

function parseWebSocketUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch { /* reported below */ }
  if (url?.protocol !== "ws:" && url?.protocol !== "wss:") {
    throw new UsageError(
      `client URL must be a ws:// or wss:// URL, got '${text}'`,
    );
  }
  return url.href;
}
