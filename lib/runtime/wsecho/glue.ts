/**
 * The wsecho engine's glue (`--engine wsecho`, Deno only): our own HTTP/1.1
 * and RFC 6455 over `Deno.listen` / `Deno.listenTls`, behind the same echo
 * service (hub, gate, routes) as every other target. See docs/engine.md.
 */
import { denoListenFailure } from "../deno_listen_failure.ts";
import { type Transport } from "../../core/hub.ts";
import { OPCODE_BINARY, OPCODE_TEXT } from "../../protocol/opcodes.ts";
import type { Runtime, RuntimeInfo } from "../contract.ts";
import { defineRuntime } from "../listen.ts";
import { connectionLimits } from "../limits.ts";
import { EngineServer } from "./server.ts";
import type { WebSocketPhase } from "./websocket_phase.ts";

const encoder = new TextEncoder();

const transport: Transport<WebSocketPhase> = {
  send(connection, data) {
    // Only the builtin engines hand the hub strings and ArrayBuffers; ours
    // gives it bytes. Kept whole for any other caller.
    if (typeof data === "string") {
      const utf8 = encoder.encode(data);
      connection.sendMessage(OPCODE_TEXT, utf8);
      return utf8.length;
    }
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    connection.sendMessage(OPCODE_BINARY, bytes);
    return bytes.length;
  },
  sendText(connection, utf8) {
    connection.sendMessage(OPCODE_TEXT, utf8);
  },
  close(connection, code, reason) {
    connection.close(code, reason);
  },
  info: (connection) => connection,
};

function runtimeInfo(): RuntimeInfo {
  return { name: "deno", version: Deno.version.deno, engine: "wsecho" };
}

export const runtime: Runtime = defineRuntime<WebSocketPhase>({
  info: runtimeInfo,
  serve({ bind, options, assemble }) {
    const server = new EngineServer(bind, {
      limits: connectionLimits(options),
      handshakeTimeout: options.handshakeTimeout,
    });
    const service = assemble(transport);
    server.start(service, bind.tls !== undefined);
    const { hostname, port } = server.addr;
    return { hostname, port, stop: () => server.stop() };
  },
  listenFailure: denoListenFailure,
});
