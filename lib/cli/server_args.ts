/**
 * The server's command line: flags (and `$PORT`) in, validated
 * {@linkcode ServerOptions} out. Defaults and bounds come from
 * lib/config/options.ts; the help text (help.ts) prints the same numbers.
 */
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
import { parseHost } from "./host.ts";
import {
  parseByteSize,
  parseCount,
  parsePort,
  parseSeconds,
  parseWhole,
} from "./numbers.ts";
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
    text === undefined ? fallback : parseByteSize(text, flag, MAX_BYTE_LIMIT);
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
  return parseWhole(
    text,
    "--workers",
    { min: 1, max: MAX_WORKERS },
    `--workers must be a whole number from 1 to ${MAX_WORKERS}, got '${text}'`,
  );
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
