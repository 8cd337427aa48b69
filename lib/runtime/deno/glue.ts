/**
 * Deno glue: `Deno.serve` + `Deno.upgradeWebSocket` feeding the echo core.
 * What differs from Bun is here; listening, the server object, listen
 * failures and signals are the skeleton's (lib/runtime/listen.ts).
 */
import { denoListenFailure } from "../deno_listen_failure.ts";
import {
  ABNORMAL_CLOSURE,
  MESSAGE_TOO_BIG,
  POLICY_VIOLATION,
} from "../../core/close_codes.ts";
import {
  type EchoHub,
  type Peers,
  selfDescribed,
  type SelfDescribedPeer,
} from "../../core/hub.ts";
import { logger } from "../../core/log.ts";
import { MIB, type Payload, utf8Length } from "../../core/payload.ts";
import type { ConnectionLimits } from "../../config/options.ts";
import type { ClientSlot } from "../../http/client_slots.ts";
import { handshakeInfo } from "../../http/handshake_info.ts";
import { failedUpgradeResponse } from "../../http/routes.ts";
import { formatAddress } from "../address.ts";
import type { HostedServer, Runtime } from "../contract.ts";
import {
  createEchoService,
  type EchoService,
  type ServiceOptions,
} from "../echo_service.ts";
import {
  connectionLimits,
  exceedsMessageLimit,
  logRefusal,
  tooBigReason,
  tooSlowReason,
} from "../limits.ts";
import { defineRuntime } from "../listen.ts";
import { denoUpgradeOptions } from "./upgrade_options.ts";

/**
 * Deno's WebSocket cannot be given a size limit: it fails the connection
 * (dropping TCP, no 1009) on a frame of 64 MiB or more, so `--max-message`
 * at or above this cannot take effect there.
 */
export const DENO_MESSAGE_CAP = 64 * MIB;

/** What a client's events need of its server. */
interface PeerContext {
  readonly hub: EchoHub<DenoPeer>;
  readonly maxMessage: number;
  readonly maxBuffered: number;
}

/**
 * One accepted WebSocket and who it is; also the socket's listener for
 * `message` and `close` (an `EventListener` object), so that a client costs
 * one object rather than a closure and a handler wrapper per event. V8's
 * heap sampling over 10,000 handshakes: 16.7 KB allocated per handshake,
 * against 17.4 KB with closures and 15.0 KB for the bare echo.
 */
export class DenoPeer implements SelfDescribedPeer, EventListenerObject {
  constructor(
    readonly socket: WebSocket,
    readonly id: number,
    /** The TCP peer, or the client a trusted proxy named (`--trust-proxy`). */
    private readonly address: Deno.Addr | string,
    private readonly context: PeerContext,
    /** Given back when the socket closes (`--max-clients`). */
    private readonly slot: ClientSlot,
  ) {}
  private refused = false;
  /** Messages sent; see `sizeToCheck`. */
  sends = 0;

  /** `ip:port` (or a forwarded client's address), formatted only when a
   * log line asks for it. */
  get remote(): string {
    return describe(this.address);
  }

  /** The socket's `message` and `close` events. */
  handleEvent(event: Event): void {
    if (event.type === "message") {
      this.received((event as MessageEvent<Payload>).data);
    } else this.closed(event as CloseEvent);
  }

  /**
   * The echo: the very value received goes back (`send` keeps its frame
   * type), then the hub records it. Allocates nothing of its own.
   */
  private received(data: Payload): void {
    const { hub, maxMessage, maxBuffered } = this.context;
    // Deno has no message size option: its cap is fixed at 64 MiB, so the
    // limit is checked after the message has been buffered.
    if (exceedsMessageLimit(data, maxMessage)) {
      this.refuse(MESSAGE_TOO_BIG, tooBigReason(maxMessage));
      return;
    }
    const socket = this.socket;
    socket.send(data);
    // Deno queues outbound frames without bound (bufferedAmount counts
    // them): a peer that never reads would otherwise grow us forever.
    // What counts is what is queued beyond the message just sent: that
    // one is on its way, and with the defaults (16 MiB messages, 4 MiB
    // queued) a single large echo to a peer that reads would otherwise
    // be taken for a slow consumer. A peer that does not read is caught
    // at its next echo, which finds the previous one still queued.
    const size = sizeToCheck(this, data);
    if (size > 0 && socket.bufferedAmount - size > maxBuffered) {
      this.refuse(POLICY_VIOLATION, tooSlowReason(maxBuffered));
    }
    if (typeof data === "string") {
      // Deno's send does not say; a text's size is known if it was measured.
      hub.echoedText(this, data, size > 0 ? size : utf8Length(data));
    } else hub.echoedBinary(this, data);
  }

  /**
   * Deno fires `close` also when the handshake never completes, so the slot
   * is always given back. It reports code 0 when TCP drops without a close
   * frame; RFC 6455 §7.1.5 calls that 1006, as Bun does.
   */
  private closed({ code, reason }: CloseEvent): void {
    this.slot.release();
    this.context.hub.closed(this, code || ABNORMAL_CLOSURE, reason);
  }

  /** Starts the closing handshake (shutdown: the hub's `closeAll`). */
  close(code: number, reason: string): void {
    const socket = this.socket;
    // Deno forgets a close asked for before the upgrade has completed (the
    // hub knows clients from their 101 on): close once it has.
    if (socket.readyState === WebSocket.CONNECTING) {
      socket.addEventListener("open", () => socket.close(code, reason), {
        once: true,
      });
    } else socket.close(code, reason);
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
 * The payload's size in bytes if the queue is to be checked after this
 * send, else 0. Reading `bufferedAmount` is a call into Deno that cost ~4%
 * of a small echo (32 B, measured with the bench), so small messages are
 * checked on every 64th send only; large ones always. The queue can so
 * outgrow `--max-buffered` by less than 64 × 64 KiB.
 */
function sizeToCheck(peer: DenoPeer, data: Payload): number {
  const every = (++peer.sends & (CHECK_EVERY - 1)) === 0;
  // A string of n UTF-16 units is at least n and at most 3n UTF-8 bytes.
  if (typeof data === "string") {
    return every || data.length * 3 >= LARGE_MESSAGE ? utf8Length(data) : 0;
  }
  return every || data.byteLength >= LARGE_MESSAGE ? data.byteLength : 0;
}

function runtimeInfo() {
  return {
    name: "deno",
    version: Deno.version.deno,
    engine: "builtin",
  } as const;
}

/**
 * `deno serve`: Deno listens, so there is no serve call; this is the
 * server whose handler Deno's requests go to (the runtime's `hosted`).
 */
function hosted(
  options: ServiceOptions & ConnectionLimits,
  version: string,
): HostedServer {
  warnAboutLimits(options);
  const service = createEchoService(
    options,
    selfDescribed<DenoPeer>(),
    runtimeInfo(),
    version,
  );
  return {
    fetch: denoHandler(service, connectionLimits(options)),
    hub: service.hub,
    startDraining: () => service.draining = true,
  };
}

/** Says at start-up which requested limits Deno cannot honour. */
function warnAboutLimits(limits: ConnectionLimits): void {
  const log = logger("limits");
  if (limits.permessageDeflate) {
    log.warn(
      "--permessage-deflate: Deno's built-in engine cannot negotiate permessage-deflate (--engine wsecho can); serving uncompressed",
    );
  }
  if (limits.maxMessage >= DENO_MESSAGE_CAP) {
    log.warn(
      "--max-message {maxMessage}: Deno drops connections that send a frame of 64 MiB or more, whatever this limit",
      { maxMessage: limits.maxMessage },
    );
  }
}

/**
 * A `Deno.serve` handler for `service`; also what `deno serve` runs. The
 * routes decide; an upgrade is performed here, inline.
 */
function denoHandler(
  service: EchoService<DenoPeer>,
  { maxMessage, maxBuffered, idleTimeout }: ConnectionLimits,
): Deno.ServeHandler {
  const { hub, handle, gate } = service;
  const context: PeerContext = { hub, maxMessage, maxBuffered };
  return (request, { remoteAddr }) => {
    const decision = handle(
      request,
      () => remoteAddr.transport === "tcp" ? remoteAddr.hostname : undefined,
    );
    if (decision.kind === "respond") return decision.response;
    const { protocol, client, slot } = decision;
    // Read before the upgrade: Deno's request cannot be read after it.
    const handshake = hub.debug ? handshakeInfo(request, protocol) : undefined;
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(
        request,
        denoUpgradeOptions(protocol, idleTimeout),
      );
    } catch (error) {
      return failedUpgradeResponse(gate, slot, error);
    }
    const { socket, response } = upgraded;
    const peer = new DenoPeer(
      socket,
      hub.nextId(),
      client ?? remoteAddr,
      context,
      slot,
    );
    // ArrayBuffer, not Blob: the payload goes straight back, unconverted.
    socket.binaryType = "arraybuffer";
    // A client from the moment its 101 is on its way, not from `open`:
    // an `open` listener is one more dispatch on every handshake, and
    // Deno fires `close` also for a handshake that never completes, so
    // the hub still forgets every client (and the slot is given back).
    hub.open(peer, handshake);
    socket.addEventListener("message", peer);
    socket.addEventListener("close", peer);
    return response;
  };
}

function describe(addr: Deno.Addr | string): string {
  if (typeof addr === "string") return addr;
  return addr.transport === "tcp" || addr.transport === "udp"
    ? formatAddress(addr.hostname, addr.port)
    : addr.transport;
}

export const runtime: Runtime = defineRuntime<DenoPeer, Peers<DenoPeer>>({
  info: runtimeInfo,
  peers: () => selfDescribed<DenoPeer>(),
  serve({ bind, options, service }) {
    warnAboutLimits(options);
    let bound: Deno.NetAddr | undefined;
    const server = Deno.serve({
      port: bind.port,
      hostname: bind.hostname,
      ...bind.tls,
      // Silences Deno's own "Listening on" line; the app logs the real URL.
      onListen: (addr) => bound = addr,
      handler: denoHandler(service, connectionLimits(options)),
    });
    const addr = bound ?? server.addr;
    return {
      hostname: addr.hostname,
      port: addr.port,
      stop: () => server.shutdown(),
    };
  },
  listenFailure: denoListenFailure,
}, hosted);
