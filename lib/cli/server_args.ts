/**
 * The server's command line: flags (and `$PORT`) in, validated
 * {@linkcode ServerOptions} out. Defaults and bounds come from
 * lib/config/options.ts; the help text (help.ts) prints the same numbers.
 */
import { formatBytes, GIB, KIB, MIB } from "../core/payload.ts";
import {
  type ConnectionLimits,
  DEFAULT_ENGINE,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_HOST,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_BUFFERED,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_MESSAGE,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_WORKERS,
  type Engine,
  ENGINES,
  MAX_BYTE_LIMIT,
  MAX_HANDSHAKE_TIMEOUT,
  MAX_IDLE_TIMEOUT,
  MAX_SHUTDOWN_TIMEOUT,
  MAX_WORKERS,
  type ServerOptions,
  type TlsCredentials,
} from "../config/options.ts";
import { parseCidr } from "../http/cidr.ts";
import { normalizeOrigin } from "../http/origin.ts";
import { isProtocolName } from "../http/subprotocol.ts";
import {
  loadTlsCredentials,
  type TextFileReader,
  TlsFileError,
} from "./tls_files.ts";
import {
  type EnvReader,
  parseLogFormat,
  parseOrExplain,
  UsageError,
} from "./usage.ts";

export type ServerCommand =
  | { kind: "serve"; options: ServerOptions }
  | { kind: "help" }
  | { kind: "version" };

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
  "trust-proxy": { type: "string", multiple: true },
  engine: { type: "string" },
  "handshake-timeout": { type: "string" },
} as const;

/** The server's arguments: everything but `wsecho client …`. */
export function parseServerCommand(
  args: string[],
  env: EnvReader,
  readFile: TextFileReader,
): ServerCommand {
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
      maxClients: values["max-clients"] === undefined
        ? DEFAULT_MAX_CLIENTS
        : parseCount(values["max-clients"], "--max-clients"),
      tls: parseTls(values.cert, values.key, readFile),
      workers: values.workers === undefined
        ? DEFAULT_WORKERS
        : parseWorkers(values.workers),
      engine: values.engine === undefined
        ? DEFAULT_ENGINE
        : parseEngine(values.engine),
      handshakeTimeout: values["handshake-timeout"] === undefined
        ? DEFAULT_HANDSHAKE_TIMEOUT
        : parseSeconds(
          values["handshake-timeout"],
          "--handshake-timeout",
          MAX_HANDSHAKE_TIMEOUT,
        ),
      ...parseLimits(values),
      trustProxy: parseTrustProxy(values["trust-proxy"] ?? []),
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
}

const UNITS = new Map<string, number>([
  ["", 1],
  ["k", KIB],
  ["kib", KIB],
  ["m", MIB],
  ["mib", MIB],
  ["g", GIB],
  ["gib", GIB],
]);

/**
 * A byte count: a whole number with an optional binary unit, e.g. `65536`,
 * `64KiB`, `16MiB`, `16m`. Must be from 1 to 1 GiB.
 */
export function parseByteSize(text: string, flag: string): number {
  const match = /^(\d{1,10})\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS.get(match[2].toLowerCase()) : undefined;
  const bytes = unit === undefined ? NaN : Number(match![1]) * unit;
  if (!(bytes >= 1 && bytes <= MAX_BYTE_LIMIT)) {
    throw new UsageError(
      `${flag} must be a byte count from 1 to ${
        formatBytes(MAX_BYTE_LIMIT)
      } (e.g. 65536, 64KiB, 16MiB), got '${text}'`,
    );
  }
  return bytes;
}

/** Whole seconds from 0 to `max`. */
export function parseSeconds(text: string, flag: string, max: number): number {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed) || Number(trimmed) > max) {
    throw new UsageError(
      `${flag} must be whole seconds from 0 to ${max}, got '${text}'`,
    );
  }
  return Number(trimmed);
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

/** `--trust-proxy`: IPv4 or IPv6 addresses and CIDR ranges. */
function parseTrustProxy(texts: string[]): string[] {
  for (const text of texts) {
    if (!parseCidr(text.trim())) {
      throw new UsageError(
        `--trust-proxy must be an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8), got '${text}'`,
      );
    }
  }
  return texts.map((text) => text.trim());
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

function parseWorkers(text: string): number {
  if (!/^\d{1,3}$/.test(text.trim()) || +text < 1 || +text > MAX_WORKERS) {
    throw new UsageError(
      `--workers must be a whole number from 1 to ${MAX_WORKERS}, got '${text}'`,
    );
  }
  return Number(text);
}

function parseEngine(text: string): Engine {
  const engine = ENGINES.find((name) => name === text);
  if (engine === undefined) {
    throw new UsageError(
      `--engine must be ${ENGINES.join(" or ")}, got '${text}'`,
    );
  }
  return engine;
}
