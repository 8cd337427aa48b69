/**
 * Puts the echo core and the HTTP side together for one server. Both
 * runtimes' glue call this with their own {@linkcode Transport}, so the two
 * servers behave the same by construction.
 */
import { EchoHub, type Transport } from "./echo.ts";
import {
  createHttpHandler,
  type HttpHandler,
  type RuntimeInfo,
} from "./http.ts";
import { logger } from "./log.ts";
import type { ServerOptions } from "./options.ts";

export interface EchoServer<S> {
  readonly hub: EchoHub<S>;
  readonly handle: HttpHandler;
  /** Set once shutdown begins; new upgrades are then refused. */
  draining: boolean;
}

export function createEchoServer<S>(
  options: Pick<ServerOptions, "debug">,
  transport: Transport<S>,
  runtime: RuntimeInfo,
  version: string,
): EchoServer<S> {
  const hub = new EchoHub(transport, logger("echo"), options.debug);
  const server: EchoServer<S> = {
    hub,
    draining: false,
    handle: createHttpHandler({
      hub,
      runtime,
      version,
      startedAt: Date.now(),
      isDraining: () => server.draining,
    }),
  };
  return server;
}
