/**
 * Deno glue: `Deno.serve` + `Deno.upgradeWebSocket` feeding the echo core.
 * Only this module (and `bun.ts` for Bun) touches runtime APIs.
 */
import type { PeerInfo, Transport } from "./echo.ts";
import type { Upgrade } from "./http.ts";
import type { ServerOptions } from "./options.ts";
import {
  formatAddress,
  ListenError,
  type ListeningServer,
  messageOf,
  type Runtime,
  wsUrl,
} from "./runtime.ts";
import {
  createEchoServer,
  type EchoServer,
  type ServiceOptions,
} from "./server.ts";
import { explainTlsError, isTlsSetupError } from "./tls.ts";

/** RFC 6455 §7.1.5: the connection closed without a close frame. */
const ABNORMAL_CLOSURE = 1006;

/** One accepted WebSocket and who it is. */
export class DenoPeer implements PeerInfo {
  constructor(
    readonly socket: WebSocket,
    readonly id: number,
    readonly remote: string,
  ) {}
}

const transport: Transport<DenoPeer> = {
  send: (peer, data) => peer.socket.send(data),
  close: (peer, code, reason) => peer.socket.close(code, reason),
  info: (peer) => peer,
};

// Read lazily: main.ts imports this module on Bun too (for `deno serve`'s
// default export), where `Deno` does not exist.
function runtimeInfo() {
  return { name: "deno", version: Deno.version.deno } as const;
}

export function createDenoServer(
  options: ServiceOptions,
  version: string,
): EchoServer<DenoPeer> {
  return createEchoServer(options, transport, runtimeInfo(), version);
}

/** A `Deno.serve` handler for `server`; also what `deno serve` runs. */
export function denoHandler(server: EchoServer<DenoPeer>): Deno.ServeHandler {
  const { hub, handle } = server;
  return (request, { remoteAddr }) => {
    const upgrade: Upgrade = ({ protocol, release }) => {
      const { socket, response } = Deno.upgradeWebSocket(request, { protocol });
      const peer = new DenoPeer(socket, hub.nextId(), describe(remoteAddr));
      // ArrayBuffer, not Blob: the payload goes straight back, unconverted.
      socket.binaryType = "arraybuffer";
      socket.onopen = () => hub.open(peer);
      socket.onmessage = (event) => hub.message(peer, event.data);
      // Deno reports code 0 when TCP drops without a close frame; RFC 6455
      // §7.1.5 calls that 1006, as Bun does.
      socket.onclose = (event) =>
        hub.closed(peer, event.code || ABNORMAL_CLOSURE, event.reason);
      // Deno fires close also when the handshake never completes.
      socket.addEventListener("close", release);
      return response;
    };
    return handle(request, upgrade) ?? internalError();
  };
}

function describe(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? formatAddress(addr.hostname, addr.port)
    : addr.transport;
}

function internalError(): Response {
  return new Response("Internal Server Error\n", { status: 500 });
}

function listen(options: ServerOptions, version: string): ListeningServer {
  const server = createDenoServer(options, version);
  let bound: Deno.NetAddr | undefined;
  let httpServer: Deno.HttpServer<Deno.NetAddr>;
  try {
    httpServer = Deno.serve({
      port: options.port,
      hostname: options.host,
      ...(options.tls && { cert: options.tls.cert, key: options.tls.key }),
      // Silences Deno's own "Listening on" line; main.ts logs the real URL.
      onListen: (addr) => bound = addr,
      handler: denoHandler(server),
    });
  } catch (error) {
    if (options.tls && isTlsSetupError(error)) {
      throw new ListenError(options, explainTlsError(error, options.tls), 2);
    }
    throw new ListenError(options, listenFailure(error));
  }
  const addr = bound ?? httpServer.addr;
  return {
    url: wsUrl(addr.hostname, addr.port, options.tls !== undefined),
    port: addr.port,
    hub: server.hub,
    startDraining: () => server.draining = true,
    close: () => httpServer.shutdown(),
  };
}

/** Why Deno could not listen, in words for the log. */
function listenFailure(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "address already in use";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return "network access not granted (run with --allow-net)";
  }
  return messageOf(error);
}

export const denoRuntime: Runtime = {
  get info() {
    return runtimeInfo();
  },
  listen,
  onShutdownSignal(handler) {
    Deno.addSignalListener("SIGINT", () => handler("SIGINT"));
    Deno.addSignalListener("SIGTERM", () => handler("SIGTERM"));
  },
};
