/**
 * The wsecho engine's glue (`--engine wsecho`, Deno only): our own HTTP/1.1
 * and RFC 6455 over `Deno.listen` / `Deno.listenTls`, behind the same echo
 * service (hub, gate, routes) as every other target. A connection sends
 * its own echoes (websocket_phase.ts: `sendEcho`) and tells the hub; the hub
 * only names and closes it. See docs/engine.md.
 */
import { denoListenFailure } from "../deno_listen_failure.ts";
import { type Peers, selfDescribed } from "../../core/hub.ts";
import type { Runtime, RuntimeInfo } from "../contract.ts";
import { defineRuntime } from "../listen.ts";
import { connectionLimits } from "../limits.ts";
import type { WebSocketPhase } from "./websocket_phase.ts";
import { DenoListener } from "./deno_listener.ts";
import { EngineServer } from "./server.ts";

function runtimeInfo(): RuntimeInfo {
  return { name: "deno", version: Deno.version.deno, engine: "wsecho" };
}

/** No `hosted`: `deno serve` listens itself and never hands us a socket. */
export const runtime: Runtime = defineRuntime<
  WebSocketPhase,
  Peers<WebSocketPhase>
>({
  info: runtimeInfo,
  peers: () => selfDescribed<WebSocketPhase>(),
  serve({ bind, options, service }) {
    const listener = new DenoListener(bind);
    const server = new EngineServer(listener, {
      limits: connectionLimits(options),
      handshakeTimeout: options.handshakeTimeout,
    });
    server.start(service, bind.tls !== undefined);
    const { hostname, port } = listener;
    return { hostname, port, stop: () => server.stop() };
  },
  listenFailure: denoListenFailure,
});
