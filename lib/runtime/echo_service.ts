/**
 * Puts the echo core and the HTTP side together: the echo service, which
 * answers requests and echoes messages but does not listen (the runtime's
 * server does). Every runtime's glue gets one, built around its own
 * {@linkcode Peers}, so all targets behave the same by construction.
 */
import { EchoHub, type Peers } from "../core/hub.ts";
import { logger } from "../core/log.ts";
import type { ServerOptions } from "../config/options.ts";
import { trustedProxies } from "../http/cidr.ts";
import {
  createHttpHandler,
  type HttpHandler,
  type RuntimeInfo,
} from "../http/routes.ts";
import { UpgradeGate } from "../http/upgrade_gate.ts";

export interface EchoService<S> {
  readonly hub: EchoHub<S>;
  readonly gate: UpgradeGate;
  readonly handle: HttpHandler;
  /** Set once shutdown begins; new upgrades are then refused. */
  draining: boolean;
}

/** The options that shape how the echo service behaves (not where it listens). */
export type ServiceOptions = Pick<
  ServerOptions,
  | "debug"
  | "origins"
  | "requireOrigin"
  | "protocols"
  | "maxClients"
  | "trustProxy"
>;

export function createEchoService<S>(
  options: ServiceOptions,
  peers: Peers<S>,
  runtime: RuntimeInfo,
  version: string,
): EchoService<S> {
  const hub = new EchoHub(peers, logger("echo"), options.debug);
  const gate = new UpgradeGate(options);
  const service: EchoService<S> = {
    hub,
    gate,
    draining: false,
    handle: createHttpHandler({
      hub,
      runtime,
      version,
      startedAt: Date.now(),
      isDraining: () => service.draining,
      gate,
      trustedProxies: trustedProxies(options.trustProxy),
    }),
  };
  return service;
}
