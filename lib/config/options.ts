/**
 * The options of both commands, their defaults and their bounds, in one
 * place: the parsers (lib/cli) check against these numbers, the help texts
 * print them, and the runtimes and shutdown read them. Nothing here parses
 * or does anything.
 */
import { GIB, MIB } from "../core/payload.ts";

export type LogFormat = "pretty" | "json";

/**
 * Which WebSocket engine serves upgrades: the runtime's own (`builtin`) or
 * ours over raw sockets (`wsecho`, Deno only; lib/runtime/wsecho/).
 */
export type Engine = "builtin" | "wsecho";
export const ENGINES: readonly Engine[] = ["builtin", "wsecho"];

/** What the glue enforces per connection, already validated. */
export interface ConnectionLimits {
  /** Bytes; larger messages close the connection with 1009. */
  maxMessage: number;
  /** Bytes queued outbound; past it the client is closed with 1008. */
  maxBuffered: number;
  /** Seconds; 0 disables heartbeats. */
  idleTimeout: number;
  /** Whether to negotiate permessage-deflate where the runtime can. */
  permessageDeflate: boolean;
}

/** A certificate chain and its private key, PEM text as the runtimes take it. */
export interface TlsCredentials {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

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
  /**
   * `--trust-proxy`: addresses and CIDR ranges (as given, validated) whose
   * X-Forwarded-For / Forwarded name the client; empty trusts none.
   */
  trustProxy: string[];
  /** `--engine`: the runtime's WebSocket engine or ours. */
  engine: Engine;
  /**
   * `--handshake-timeout`: seconds a connection may take to send a whole
   * request head (wsecho engine; 0: never).
   */
  handshakeTimeout: number;
}

/**
 * How the console client makes messages of its input: `text` sends each
 * line as a text message; `binary` sends each line's bytes, exactly as read,
 * as a binary message; `hex` reads each line as hex and sends those bytes.
 */
export type ClientMessageFormat = "text" | "binary" | "hex";

/** `--ca FILE`: a PEM certificate (or bundle) the client trusts, read. */
export interface TrustedCa {
  readonly file: string;
  readonly pem: string;
}

/** What the console client needs, already validated. */
export interface ClientOptions {
  /** `ws://` or `wss://` URL of the echo server. */
  url: string;
  /** How stdin lines and `--message` become messages. */
  format: ClientMessageFormat;
  /** Send this one message instead of reading lines from stdin. */
  message: string | undefined;
  /** `--file`: send this file as one binary message and compare its echo. */
  file: string | undefined;
  /** `-H 'Name: value'`, in order, for the handshake request. */
  headers: Array<[name: string, value: string]>;
  /** `--protocol`: subprotocols to offer, in order of preference. */
  protocols: string[];
  /** `--origin`: the `Origin` header to send, as given. */
  origin: string | undefined;
  /** `-k`: accept any server certificate (wss://). */
  insecure: boolean;
  /** `--ca`: trust these certificates (instead of the system's list). */
  ca: TrustedCa | undefined;
  /** Log each echo with its round-trip time, and the response headers. */
  debug: boolean;
  logFormat: LogFormat;
}

/** How long the console client waits for the server's answer to its close. */
export const CLIENT_CLOSE_TIMEOUT_MS = 2000;

// --- Where to listen -------------------------------------------------------

export const DEFAULT_PORT = 1234;
/** All interfaces, like Qt's echoserver (`QHostAddress::Any`). */
export const DEFAULT_HOST = "0.0.0.0";
/** `--max-clients` when not given: unlimited. */
export const DEFAULT_MAX_CLIENTS = 0;
/** `--trust-proxy` when not given: no proxy is trusted, headers unread. */
export const DEFAULT_TRUST_PROXY: readonly string[] = [];
/** `--workers` when not given: this process alone. */
export const DEFAULT_WORKERS = 1;
/** The most processes `--workers` starts; more only adds contention. */
export const MAX_WORKERS = 128;

/** `--engine` when not given: the runtime's own. */
export const DEFAULT_ENGINE: Engine = "builtin";

// --- Per-connection limits -------------------------------------------------

/** The largest message echoed; a larger one closes with 1009. */
export const DEFAULT_MAX_MESSAGE = 16 * MIB;
/** Outbound bytes queued for one client before it is closed with 1008. */
export const DEFAULT_MAX_BUFFERED = 4 * MIB;
/** Seconds of silence after which a peer must answer a ping or be dropped. */
export const DEFAULT_IDLE_TIMEOUT = 60;
/** Seconds to send a request head before 408 (Qt's echoserver: 10). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10;
export const MAX_HANDSHAKE_TIMEOUT = 3600;
/** Byte limits above this are surely typos (and exceed both runtimes' caps). */
export const MAX_BYTE_LIMIT = 1 * GIB;
/** Bun's (uWebSockets') longest idle timeout. */
export const MAX_IDLE_TIMEOUT = 960;

// --- Shutdown timing -------------------------------------------------------

/**
 * Seconds from SIGINT/SIGTERM to exit, all included: Deno Deploy gives a
 * process 5 s after SIGINT.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = 5;
export const MAX_SHUTDOWN_TIMEOUT = 3600;
/**
 * How long closing the listener may take once clients have had their
 * chance to answer the 1001 close; closing it drops whoever is left.
 */
export const LISTENER_CLOSE_TIMEOUT_MS = 1000;
/**
 * How long shutdown lingers after the drain before closing the listener,
 * when clients were connected. Bun forgets a client as soon as its 1001 is
 * queued (uWebSockets sends its FIN right after the close frame), so the
 * drain ends at once; the linger gives the clients' close frames time to
 * come back before closing the listener drops what is still open. It does
 * not keep HAProxy 2.6 from resetting clients after their 1001: that comes
 * from the server's early FIN (docs/deployment.md).
 */
export const CLOSE_LINGER_MS = 500;
/**
 * What shutdown keeps of `--shutdown-timeout` for after the wait for
 * clients: closing the listener (up to {@linkcode LISTENER_CLOSE_TIMEOUT_MS})
 * and exiting.
 */
export const SHUTDOWN_EXIT_ALLOWANCE_MS = 1500;
/**
 * How long clients get to answer the 1001 close frame by default. Deno
 * Deploy kills a process 5 s after SIGINT; this wait plus closing the
 * listener must stay inside that window.
 */
export const SHUTDOWN_TIMEOUT_MS = 3500;
/**
 * How long a `--workers` primary waits for its workers beyond their own
 * drain before it kills them.
 */
export const WORKERS_EXIT_GRACE_MS = 2000;
/**
 * How long a `deno serve --parallel` worker waits for its siblings beyond
 * its own drain before it exits anyway.
 */
export const SIBLINGS_EXIT_GRACE_MS = 1000;

/**
 * How long shutdown waits for clients to answer the 1001 close so that the
 * whole shutdown fits in `--shutdown-timeout`: 3.5 s for the default 5 s.
 */
export function drainTimeoutMs(shutdownTimeoutSeconds: number): number {
  return Math.max(
    0,
    shutdownTimeoutSeconds * 1000 - SHUTDOWN_EXIT_ALLOWANCE_MS,
  );
}
