/**
 * Bun glue: `Bun.serve({ fetch, websocket })` feeding the echo core.
 *
 * Bun hands text messages over as strings and binary ones as a `Buffer`; the
 * very same value goes back through `ws.send`, which keeps the frame type.
 * Never send `buffer.buffer`: the Buffer may be a view into a pooled slab
 * holding other bytes.
 */
import { MESSAGE_TOO_BIG, POLICY_VIOLATION } from "../../core/close_codes.ts";
import type {
  EchoHub,
  HandshakeInfo,
  PeerInfo,
  Peers,
} from "../../core/hub.ts";
import { type Payload, utf8Length } from "../../core/payload.ts";
import type { ConnectionLimits } from "../../config/options.ts";
import type { ClientSlot } from "../../http/client_slots.ts";
import { handshakeInfo } from "../../http/handshake_info.ts";
import { failedUpgradeResponse } from "../../http/routes.ts";
import { formatAddress } from "../address.ts";
import type { Runtime, RuntimeInfo } from "../contract.ts";
import { logRefusal, tooBigReason, tooSlowReason } from "../limits.ts";
import { commonListenFailure, defineRuntime } from "../listen.ts";

/** The slice of Bun's API we use; Bun's own types are not in Deno's checker. */
export interface BunSocket<T> {
  readonly data: T;
  /** The peer's IP address (without the port). */
  readonly remoteAddress: string;
  /** Bytes sent; -1 queued; 0 dropped (or an empty message): see below. */
  send(data: Payload, compress?: boolean): number;
  close(code?: number, reason?: string): void;
  /** 1 while open. */
  readonly readyState: number;
}

/** What `Bun.serve` returns: Bun's own server object. */
interface BunNativeServer {
  readonly port: number;
  readonly hostname: string;
  upgrade(
    request: Request,
    options: { data: unknown; headers?: Record<string, string> },
  ): boolean;
  requestIP(request: Request): { address: string; port: number } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

interface BunWebSocketHandler<T> {
  maxPayloadLength: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  idleTimeout: number;
  sendPings: boolean;
  perMessageDeflate: boolean;
  open(ws: BunSocket<T>): void;
  message(ws: BunSocket<T>, message: string | Uint8Array): void;
  close(ws: BunSocket<T>, code: number, reason: string): void;
}

interface BunServeOptions<T> {
  /**
   * Bun's development mode (its default unless NODE_ENV=production)
   * answers an exception in `fetch` with an HTML page showing the stack
   * and source; production answers a bare 500.
   */
  development: boolean;
  port: number;
  hostname: string;
  tls: { cert: string; key: string } | undefined;
  reusePort: boolean;
  fetch(request: Request, server: BunNativeServer): Response | undefined;
  websocket: BunWebSocketHandler<T>;
}

interface BunApi {
  readonly version: string;
  serve<T>(options: BunServeOptions<T>): BunNativeServer;
}

function bun(): BunApi {
  return (globalThis as unknown as { Bun: BunApi }).Bun;
}

/**
 * Who each socket is. Bun keeps a socket's `data` for us, and ours is just
 * the client's number: a small integer is no heap object. An object there,
 * however small, cost 0.3 KiB per idle connection (wsload idle, 10k
 * connections: 2.02 against 1.72 KiB), 18% on top of Bun's own cost. The
 * `ip:port` is looked up and kept only with `--debug`, and a client's
 * address forwarded by a trusted proxy only with `--trust-proxy`; other
 * logs use the socket's own `remoteAddress`. Likewise a client's slot is
 * kept here only with `--max-clients`: unlimited, every client has the
 * same shared no-op slot (lib/http/client_slots.ts), and nothing is kept.
 */
class BunPeers implements Peers<Socket> {
  /** `ip:port` or forwarded address by client number, when kept at all. */
  private readonly remotes: Map<number, string> | undefined;
  /** With `--max-clients`: each client's slot, given back on `close`. */
  private readonly slots: Map<number, ClientSlot> | undefined;
  /**
   * With `--debug`: what each handshake said, from the upgrade until the
   * `open` event logs it (Bun's `open` has no request).
   */
  private readonly handshakes: Map<number, HandshakeInfo> | undefined;

  constructor(
    private readonly debug: boolean,
    trustsProxies: boolean,
    limitsClients: boolean,
  ) {
    this.remotes = debug || trustsProxies ? new Map() : undefined;
    this.handshakes = debug ? new Map() : undefined;
    this.slots = limitsClients ? new Map() : undefined;
  }

  /** With `--debug`: notes what the handshake of client `id` said. */
  noteHandshake(id: number, request: Request, protocol: string | undefined) {
    this.handshakes?.set(id, handshakeInfo(request, protocol));
  }

  /** The handshake of client `id`, once: for its connect line. */
  takeHandshake(id: number): HandshakeInfo | undefined {
    const handshake = this.handshakes?.get(id);
    this.handshakes?.delete(id);
    return handshake;
  }

  /**
   * Notes client `id`, about to be upgraded from `request`; `client` is
   * the address a trusted proxy forwarded it for, if any.
   */
  admit(
    id: number,
    request: Request,
    server: BunNativeServer,
    client: string | undefined,
    slot: ClientSlot,
  ): void {
    this.slots?.set(id, slot);
    if (client !== undefined) this.remotes?.set(id, client);
    else if (this.debug) {
      const ip = server.requestIP(request);
      this.remotes!.set(
        id,
        ip ? formatAddress(ip.address, ip.port) : "unknown",
      );
    }
  }

  /** Who `ws` is, for a log line (not on the echo path). */
  info(ws: Socket): PeerInfo {
    const id = ws.data;
    return { id, remote: this.remotes?.get(id) ?? ws.remoteAddress };
  }

  /** Starts the closing handshake (shutdown: the hub's `closeAll`). */
  close(ws: Socket, code: number, reason: string): void {
    ws.close(code, reason);
  }

  /** Gives back the slot of client `id` (unlimited: there is none kept). */
  releaseSlot(id: number): void {
    this.slots?.get(id)?.release();
  }

  /** Drops what was kept of client `id`, once nothing will log it. */
  forget(id: number): void {
    this.remotes?.delete(id);
    this.handshakes?.delete(id);
    this.slots?.delete(id);
  }
}

/** Without this header Bun answers the client's first offered protocol by
 * itself; an empty value makes it answer none. Shared: nothing to allocate. */
const NO_PROTOCOL = { "Sec-WebSocket-Protocol": "" };

type Socket = BunSocket<number>;

/** What Bun gives as the close reason when `maxPayloadLength` was hit. */
const BUN_TOO_BIG_REASON = "Received too big message";

/**
 * Echoes `message` back on `ws` (the very value Bun handed over: `send`
 * keeps its frame type), then has the hub record it. Allocates nothing.
 */
function echo(
  ws: Socket,
  message: string | Uint8Array,
  hub: EchoHub<Socket>,
  peers: BunPeers,
  { maxBuffered, permessageDeflate }: ConnectionLimits,
): void {
  // Bun sends uncompressed unless asked, even when deflate was negotiated;
  // it ignores the flag for clients that did not negotiate it.
  // It returns the payload bytes sent (UTF-8 bytes for text: the hub
  // counts them without measuring), -1 when it queued them, and 0 when
  // it dropped the message: with closeOnBackpressureLimit off, that is
  // what would take the queue past backpressureLimit. We then close,
  // with a code. (An empty message also returns 0, so check its size.)
  const sent = ws.send(message, permessageDeflate);
  if (sent === 0 && isDropped(ws, message)) {
    const reason = tooSlowReason(maxBuffered);
    logRefusal(peers.info(ws), POLICY_VIOLATION, reason);
    ws.close(POLICY_VIOLATION, reason);
  }
  if (typeof message === "string") {
    hub.echoedText(
      ws,
      message,
      sent > 0 && !permessageDeflate ? sent : utf8Length(message),
    );
  } else hub.echoedBinary(ws, message);
}

/** For a send that returned 0: was a message really dropped? */
function isDropped(ws: Socket, data: Payload): boolean {
  const size = typeof data === "string" ? data.length : data.byteLength;
  return size > 0 && ws.readyState === 1;
}

/**
 * Bun's (uWebSockets') idle timer: after `idleTimeout` seconds without
 * data it pings, and after as many again without a pong it drops TCP. Half
 * the limit therefore drops a dead peer after about `idleTimeout` seconds,
 * as on Deno. Bun counts in steps of 4 s, so the shortest is about 8 s.
 */
export function bunIdleTimeout(seconds: number): number {
  return Math.ceil(seconds / 2);
}

function runtimeInfo(): RuntimeInfo {
  return { name: "bun", version: bun().version, engine: "builtin" };
}

export const runtime: Runtime = defineRuntime<Socket, BunPeers>({
  info: runtimeInfo,
  peers: (options) =>
    new BunPeers(
      options.debug,
      options.trustProxy.length > 0,
      options.maxClients > 0,
    ),
  serve({ bind, options, service, peers }) {
    const { hub, handle, gate } = service;
    const server = bun().serve<number>({
      ...bind,
      // Never show our source to a client, whatever NODE_ENV says.
      development: false,
      fetch(request, self) {
        const decision = handle(
          request,
          () => self.requestIP(request)?.address,
        );
        if (decision.kind === "respond") return decision.response;
        const { protocol, client, slot } = decision;
        const id = hub.nextId();
        peers.admit(id, request, self, client, slot);
        if (options.debug) peers.noteHandshake(id, request, protocol);
        const headers = protocol === undefined
          ? NO_PROTOCOL
          : { "Sec-WebSocket-Protocol": protocol };
        // Bun writes the 101 itself: nothing to return.
        if (self.upgrade(request, { data: id, headers })) return undefined;
        peers.forget(id);
        return failedUpgradeResponse(
          gate,
          slot,
          new Error("Bun refused the upgrade"),
        );
      },
      websocket: {
        // Bun closes with 1009 itself, before buffering the whole message.
        maxPayloadLength: options.maxMessage,
        backpressureLimit: options.maxBuffered,
        closeOnBackpressureLimit: false,
        idleTimeout: bunIdleTimeout(options.idleTimeout),
        sendPings: true,
        perMessageDeflate: options.permessageDeflate,
        open: (ws) => hub.open(ws, peers.takeHandshake(ws.data)),
        message: (ws, message) => echo(ws, message, hub, peers, options),
        close: (ws, code, reason) => {
          peers.releaseSlot(ws.data);
          if (reason === BUN_TOO_BIG_REASON) {
            logRefusal(
              peers.info(ws),
              MESSAGE_TOO_BIG,
              tooBigReason(options.maxMessage),
            );
          }
          hub.closed(ws, code, reason);
          peers.forget(ws.data);
        },
      },
    });
    return {
      hostname: server.hostname,
      port: server.port,
      stop: () => server.stop(true),
    };
  },
  // Bun reports Node-style codes (EADDRINUSE, EACCES): nothing of its own.
  listenFailure: commonListenFailure,
});
