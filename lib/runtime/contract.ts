/**
 * The narrow interface between the app and a runtime's glue
 * (lib/runtime/deno/, lib/runtime/bun/). Nothing outside the glue knows
 * which runtime runs.
 */
import type { HubControl } from "../core/hub.ts";
import type { ServerOptions } from "../config/options.ts";
import type { RuntimeInfo } from "../http/routes.ts";
import { formatAddress } from "./address.ts";

export type { RuntimeInfo };

/** A server that is listening: the one thing this project calls a server. */
export interface ListeningServer {
  /** The address clients use, e.g. `ws://0.0.0.0:1234/`. */
  readonly url: string;
  /** The browser page, e.g. `http://localhost:1234/`. */
  readonly page: string;
  readonly port: number;
  readonly hub: HubControl;
  /** Refuse new upgrades (503) and report `draining` in `/healthz`. */
  startDraining(): void;
  /** Closes the listener and any connection still open. */
  close(): Promise<void>;
}

/** The options plus how to bind, decided by the app. */
export interface ListenOptions extends ServerOptions {
  /** SO_REUSEPORT, so that `--workers` processes share the port (Linux). */
  reusePort?: boolean;
}

/**
 * A server the runtime itself listens for (`deno serve`): the handler its
 * requests go to, and what shutdown needs of it.
 */
export interface HostedServer {
  /** What the runtime calls for each request (`deno serve`'s `fetch`). */
  readonly fetch: Deno.ServeHandler;
  readonly hub: HubControl;
  /** Refuse new upgrades (503) and report `draining` in `/healthz`. */
  startDraining(): void;
}

export interface Runtime {
  readonly info: RuntimeInfo;
  /** Starts listening; throws {@linkcode ListenError} when it cannot. */
  listen(options: ListenOptions, version: string): ListeningServer;
  /**
   * Serves where the runtime listens by itself (`deno serve`). Only
   * Deno's built-in engine offers it: the wsecho engine reads sockets of
   * its own, which `deno serve` never hands out.
   */
  hosted?(options: ServerOptions, version: string): HostedServer;
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
