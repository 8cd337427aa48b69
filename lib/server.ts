/**
 * Puts the echo core and the HTTP side together for one server. Both
 * runtimes' glue call this with their own {@linkcode Transport}, so the two
 * servers behave the same by construction.
 */
import { UpgradeGate } from "./access.ts";
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
  readonly gate: UpgradeGate;
  readonly handle: HttpHandler;
  /** Set once shutdown begins; new upgrades are then refused. */
  draining: boolean;
}

/** The options that shape how the echo service behaves (not where it listens). */
export type ServiceOptions = Pick<
  ServerOptions,
  "debug" | "origins" | "requireOrigin" | "protocols" | "maxClients"
>;

export function createEchoServer<S>(
  options: ServiceOptions,
  transport: Transport<S>,
  runtime: RuntimeInfo,
  version: string,
): EchoServer<S> {
  const hub = new EchoHub(transport, logger("echo"), options.debug);
  const gate = new UpgradeGate(options);
  const server: EchoServer<S> = {
    hub,
    gate,
    draining: false,
    handle: createHttpHandler({
      hub,
      runtime,
      version,
      startedAt: Date.now(),
      isDraining: () => server.draining,
      gate,
    }),
  };
  return server;
}
