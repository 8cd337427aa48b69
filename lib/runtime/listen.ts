/**
 * The listen skeleton, written once for every target: assembling the echo
 * service, calling the target's serve, turning what it throws into a
 * {@linkcode ListenError}, the {@linkcode ListeningServer} handed to the
 * app, and the shutdown signals. A target's glue ({@linkcode Glue}) adds
 * only what differs: its peers, its serve call (which upgrades and echoes
 * inline) and the words for its error codes.
 */
import process from "node:process";
import { messageOf } from "../core/errors.ts";
import type { Peers } from "../core/hub.ts";
import type { RuntimeInfo } from "../http/routes.ts";
import { pageUrl, wsUrl } from "./address.ts";
import {
  ListenError,
  type ListeningServer,
  type ListenOptions,
  type Runtime,
} from "./contract.ts";
import { createEchoService, type EchoService } from "./echo_service.ts";
import { explainTlsError, isTlsSetupError } from "./tls_errors.ts";

/** Where to listen, in the words both runtimes' serve calls use. */
export interface Bind {
  readonly port: number;
  readonly hostname: string;
  /** PEM certificate chain and key; absent for plain `ws://`. */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** SO_REUSEPORT, so that `--workers` processes share the port (Linux). */
  readonly reusePort: boolean;
}

/** What the skeleton needs of the runtime's own server once it listens. */
export interface BoundServer {
  /** The address actually bound (the real port when 0 was asked for). */
  readonly hostname: string;
  readonly port: number;
  /** Closes the listener and every connection still open. */
  stop(): Promise<void>;
}

/** One call of a target's serve. */
export interface ServeCall<S, P extends Peers<S>> {
  readonly bind: Bind;
  /** Everything else that was asked for: limits, access, debug, … */
  readonly options: ListenOptions;
  /** The echo service, built by the skeleton around `peers`. */
  readonly service: EchoService<S>;
  /** What the glue's {@linkcode Glue.peers} returned for this call. */
  readonly peers: P;
}

/** What a target's glue writes: only what differs between targets. */
export interface Glue<S, P extends Peers<S> = Peers<S>> {
  /** Name and version of the runtime (read when asked: see the Deno glue). */
  info(): RuntimeInfo;
  /** How the hub names and closes this target's clients. */
  peers(options: ListenOptions): P;
  /**
   * Starts the runtime's server for `call.service`: serves its handler,
   * upgrades what it decides to upgrade, and echoes. Throws whatever the
   * runtime throws when it cannot listen.
   */
  serve(call: ServeCall<S, P>): BoundServer;
  /** Why the runtime could not listen, in words for the log. */
  listenFailure(error: unknown): string;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** The {@linkcode Runtime} of a target, from its glue. */
export function defineRuntime<S, P extends Peers<S>>(
  glue: Glue<S, P>,
  hosted?: Runtime["hosted"],
): Runtime {
  return {
    get info() {
      return glue.info();
    },
    listen: (options, version) => listen(glue, options, version),
    hosted,
    onShutdownSignal(handler) {
      for (const signal of SIGNALS) process.on(signal, () => handler(signal));
    },
  };
}

function listen<S, P extends Peers<S>>(
  glue: Glue<S, P>,
  options: ListenOptions,
  version: string,
): ListeningServer {
  const peers = glue.peers(options);
  const service = createEchoService(options, peers, glue.info(), version);
  let bound: BoundServer;
  try {
    bound = glue.serve({ bind: bindOf(options), options, service, peers });
  } catch (error) {
    throw listenError(options, error, glue.listenFailure);
  }
  return {
    url: wsUrl(bound.hostname, bound.port, options.tls !== undefined),
    page: pageUrl(bound.hostname, bound.port, options.tls !== undefined),
    port: bound.port,
    hub: service.hub,
    startDraining: () => service.draining = true,
    close: () => bound.stop(),
  };
}

function bindOf(options: ListenOptions): Bind {
  const { tls } = options;
  return {
    port: options.port,
    hostname: options.host,
    tls: tls && { cert: tls.cert, key: tls.key },
    reusePort: options.reusePort ?? false,
  };
}

/**
 * The {@linkcode ListenError} for what a runtime threw when asked to listen:
 * a certificate or key it refused is bad input; anything else is explained
 * by the glue's `failure` (in use, not permitted, …).
 */
function listenError(
  options: ListenOptions,
  error: unknown,
  failure: (error: unknown) => string,
): ListenError {
  if (options.tls && isTlsSetupError(error)) {
    return new ListenError(options, explainTlsError(error, options.tls), 2);
  }
  return new ListenError(options, failure(error));
}

/**
 * Words for the errors every runtime reports alike (Node-style codes);
 * a glue tries its own first and falls back to this.
 */
export function commonListenFailure(error: unknown): string {
  switch ((error as { code?: string }).code) {
    case "EADDRINUSE":
      return "address already in use";
    case "EACCES":
      return "permission denied";
  }
  return messageOf(error);
}
