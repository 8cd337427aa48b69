/**
 * The narrow interface between `main.ts` and a runtime's glue
 * (`deno.ts`, `bun.ts`). Nothing outside the glue knows which runtime runs.
 */
import type { EchoHub } from "./echo.ts";
import type { RuntimeInfo } from "./http.ts";
import type { ServerOptions } from "./options.ts";
import { explainTlsError, isTlsSetupError } from "./tls.ts";

export type { RuntimeInfo };

/** What the lifecycle code needs of the echo core, whatever its socket type. */
export type HubControl = Pick<EchoHub<unknown>, "size" | "stats" | "drain">;

/** A server that is listening. */
export interface ListeningServer {
  /** The address clients use, e.g. `ws://0.0.0.0:1234/`. */
  readonly url: string;
  readonly port: number;
  readonly hub: HubControl;
  /** Refuse new upgrades (503) and report `draining` in `/healthz`. */
  startDraining(): void;
  /** Closes the listener and any connection still open. */
  close(): Promise<void>;
}

/** The options plus how to bind, decided by `main.ts`. */
export interface ListenOptions extends ServerOptions {
  /** SO_REUSEPORT, so that `--workers` processes share the port (Linux). */
  reusePort?: boolean;
}

export interface Runtime {
  readonly info: RuntimeInfo;
  /** Starts listening; throws {@linkcode ListenError} when it cannot. */
  listen(options: ListenOptions, version: string): ListeningServer;
  /** Calls `handler` on SIGINT and SIGTERM. */
  onShutdownSignal(handler: (signal: string) => void): void;
}

/**
 * The port could not be bound: in use, not permitted, bad address (exit
 * code 1); or the TLS certificate and key were refused (exit code 2, bad
 * input).
 */
export class ListenError extends Error {
  constructor(
    where: { host: string; port: number },
    reason: string,
    readonly exitCode = 1,
  ) {
    super(
      `cannot listen on ${formatAddress(where.host, where.port)}: ${reason}`,
    );
    this.name = "ListenError";
  }
}

/**
 * The {@linkcode ListenError} for what a runtime threw when asked to listen:
 * a certificate or key it refused is bad input; anything else is explained
 * by the glue's `failure` (in use, not permitted, …).
 */
export function listenError(
  options: ListenOptions,
  error: unknown,
  failure: (error: unknown) => string,
): ListenError {
  if (options.tls && isTlsSetupError(error)) {
    return new ListenError(options, explainTlsError(error, options.tls), 2);
  }
  return new ListenError(options, failure(error));
}

/** An error's message, for errors a runtime throws that we do not know. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `ws://host:port/` (`wss://` when `secure`), IPv6 addresses in brackets. */
export function wsUrl(hostname: string, port: number, secure = false): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${secure ? "wss" : "ws"}://${host}:${port}/`;
}

/** `host:port`, with IPv6 addresses in brackets, for logs. */
export function formatAddress(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}
