/**
 * Deno glue: `Deno.serve` + `Deno.upgradeWebSocket` feeding the echo core.
 * Only this module (and `bun.ts` for Bun) touches runtime APIs.
 */
import type { UpgradeGate } from "./access.ts";
import {
  type EchoHub,
  type Payload,
  type PeerInfo,
  SIZE_UNKNOWN,
  type Transport,
} from "./echo.ts";
import type { Upgrade } from "./http.ts";
import {
  type ConnectionLimits,
  connectionLimits,
  DENO_MESSAGE_CAP,
  exceedsMessageLimit,
  logRefusal,
  MESSAGE_TOO_BIG,
  POLICY_VIOLATION,
  tooBigReason,
  tooSlowReason,
} from "./limits.ts";
import { logger } from "./log.ts";
import type { ServerOptions } from "./options.ts";
import {
  formatAddress,
  listenError,
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

/** RFC 6455 §7.1.5: the connection closed without a close frame. */
const ABNORMAL_CLOSURE = 1006;

/** What a client's events need of its server. */
interface PeerContext {
  readonly hub: EchoHub<DenoPeer>;
  readonly gate: UpgradeGate;
  readonly maxMessage: number;
}

/**
 * One accepted WebSocket and who it is; also the socket's listener for
 * `message` and `close` (an `EventListener` object), so that a client costs
 * one object rather than a closure and a handler wrapper per event. V8's
 * heap sampling over 10,000 handshakes: 16.7 KB allocated per handshake,
 * against 17.4 KB with closures and 15.0 KB for the bare echo.
 */
export class DenoPeer implements PeerInfo, EventListenerObject {
  constructor(
    readonly socket: WebSocket,
    readonly id: number,
    private readonly address: Deno.Addr,
    private readonly context: PeerContext,
  ) {}
  private refused = false;
  /** Messages sent; see `shouldCheckBuffered`. */
  sends = 0;

  /** `ip:port`, formatted only when a log line asks for it. */
  get remote(): string {
    return describe(this.address);
  }

  /** The socket's `message` and `close` events. */
  handleEvent(event: Event): void {
    if (event.type === "message") {
      this.received((event as MessageEvent<Payload>).data);
    } else this.closed(event as CloseEvent);
  }

  private received(data: Payload): void {
    const { hub, maxMessage } = this.context;
    // Deno has no message size option: its cap is fixed at 64 MiB, so the
    // limit is checked after the message has been buffered.
    if (exceedsMessageLimit(data, maxMessage)) {
      this.refuse(MESSAGE_TOO_BIG, tooBigReason(maxMessage));
    } else hub.message(this, data);
  }

  /**
   * Deno fires `close` also when the handshake never completes, so the slot
   * is always given back. It reports code 0 when TCP drops without a close
   * frame; RFC 6455 §7.1.5 calls that 1006, as Bun does.
   */
  private closed({ code, reason }: CloseEvent): void {
    this.context.gate.release();
    this.context.hub.closed(this, code || ABNORMAL_CLOSURE, reason);
  }

  /** Closes this client, once, for breaking a limit, and logs why. */
  refuse(code: number, reason: string): void {
    if (this.refused) return;
    this.refused = true;
    logRefusal(this, code, reason);
    this.socket.close(code, reason);
  }
}

/** Messages of at least this many bytes always have the queue checked. */
const LARGE_MESSAGE = 64 * 1024;
/** Small messages have it checked on every this many-th send (a power of 2). */
const CHECK_EVERY = 64;

/**
 * Whether to read `bufferedAmount` after this send. Reading it is a call
 * into Deno that cost ~4% of a small echo (32 B, measured with the bench),
 * so small messages are checked on every 64th send only; large ones always.
 * The queue can so outgrow `--max-buffered` by less than 64 × 64 KiB.
 */
function shouldCheckBuffered(peer: DenoPeer, data: Payload): boolean {
  if ((++peer.sends & (CHECK_EVERY - 1)) === 0) return true;
  // A string of n UTF-16 units is at least n and at most 3n UTF-8 bytes.
  return typeof data === "string"
    ? data.length * 3 >= LARGE_MESSAGE
    : data.byteLength >= LARGE_MESSAGE;
}

/** A server plus the limits its handler enforces. */
export interface DenoEchoServer extends EchoServer<DenoPeer> {
  readonly limits: ConnectionLimits;
}

function createTransport(
  { maxBuffered }: ConnectionLimits,
): Transport<DenoPeer> {
  return {
    send(peer, data) {
      const socket = peer.socket;
      socket.send(data);
      // Deno queues outbound frames without bound (bufferedAmount counts
      // them): a peer that never reads would otherwise grow us forever.
      if (
        shouldCheckBuffered(peer, data) && socket.bufferedAmount > maxBuffered
      ) {
        peer.refuse(POLICY_VIOLATION, tooSlowReason(maxBuffered));
      }
      return SIZE_UNKNOWN; // Deno's send does not say.
    },
    close(peer, code, reason) {
      const socket = peer.socket;
      // Deno forgets a close asked for before the upgrade has completed (the
      // hub knows clients from their 101 on): close once it has.
      if (socket.readyState === WebSocket.CONNECTING) {
        socket.addEventListener("open", () => socket.close(code, reason), {
          once: true,
        });
      } else socket.close(code, reason);
    },
    info: (peer) => peer,
  };
}

// Read lazily: main.ts imports this module on Bun too (for `deno serve`'s
// default export), where `Deno` does not exist.
function runtimeInfo() {
  return { name: "deno", version: Deno.version.deno } as const;
}

export function createDenoServer(
  options: ServiceOptions & ConnectionLimits,
  version: string,
): DenoEchoServer {
  warnAboutLimits(options);
  const server = createEchoServer(
    options,
    createTransport(options),
    runtimeInfo(),
    version,
  );
  return Object.assign(server, { limits: connectionLimits(options) });
}

/** Says at start-up which requested limits Deno cannot honour. */
function warnAboutLimits(limits: ConnectionLimits): void {
  const log = logger("limits");
  if (limits.permessageDeflate) {
    log.warn(
      "--permessage-deflate: Deno cannot negotiate permessage-deflate; serving uncompressed",
    );
  }
  if (limits.maxMessage >= DENO_MESSAGE_CAP) {
    log.warn(
      "--max-message {maxMessage}: Deno drops connections that send a frame of 64 MiB or more, whatever this limit",
      { maxMessage: limits.maxMessage },
    );
  }
}

/** A `Deno.serve` handler for `server`; also what `deno serve` runs. */
export function denoHandler(server: DenoEchoServer): Deno.ServeHandler {
  const { hub, handle, gate } = server;
  const { maxMessage, idleTimeout } = server.limits;
  const context: PeerContext = { hub, gate, maxMessage };
  return (request, { remoteAddr }) => {
    const upgrade: Upgrade = ({ protocol }) => {
      // Deno pings after idleTimeout/2 of silence and closes with 1001 if
      // no pong has come by idleTimeout; 0 turns that off.
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol,
        idleTimeout,
      });
      const peer = new DenoPeer(socket, hub.nextId(), remoteAddr, context);
      // ArrayBuffer, not Blob: the payload goes straight back, unconverted.
      socket.binaryType = "arraybuffer";
      // A client from the moment its 101 is on its way, not from `open`:
      // an `open` listener is one more dispatch on every handshake, and
      // Deno fires `close` also for a handshake that never completes, so
      // the hub still forgets every client.
      hub.open(peer);
      socket.addEventListener("message", peer);
      socket.addEventListener("close", peer);
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
    throw listenError(options, error, listenFailure);
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
