/**
 * The echo core: which clients are connected, what each one sent, and what
 * went back. It knows nothing of Deno or Bun and sends nothing: each
 * runtime's glue sends its echo itself, then tells the hub what happened
 * ({@linkcode EchoHub.echoedText}, {@linkcode EchoHub.echoedBinary}), so one
 * message reads top to bottom in one glue file plus this one. The hub
 * counts, writes the `--debug` lines, and closes every client on shutdown
 * through the glue's {@linkcode Peers}.
 *
 * `echoedText()` and `echoedBinary()` are the hot path. With `--debug` off
 * they allocate nothing and call no logger: they count, and return.
 *
 * Payloads enter the core here as views: a glue may hand in bytes it will
 * reuse (the engine's read buffer, Bun's pooled slab), so a payload is
 * valid only during the call, and the hub keeps nothing of it.
 */
import type { Logger } from "@logtape/logtape";
import type { Payload } from "./payload.ts";
import { describePayload, PeerText } from "./preview.ts";

/** A close reason is at most 123 bytes (RFC 6455 §5.5): shown whole. */
const MAX_CLOSE_REASON = 123;

const utf8Decoder = new TextDecoder();

/** Who a client is, for logs. */
export interface PeerInfo {
  readonly id: number;
  readonly remote: string;
}

/**
 * What a client's handshake said, for the `--debug` connect line; the glue
 * reads it from the request only when that line is logged.
 */
export interface HandshakeInfo {
  /** The request's path and query. */
  readonly path: string;
  readonly origin: string | undefined;
  /** The subprotocol we answered with, if any. */
  readonly protocol: string | undefined;
  readonly userAgent: string | undefined;
  /** The `X-Forwarded-For` header as sent, trusted or not. */
  readonly forwardedFor: string | undefined;
}

/** The connect line's labels of {@linkcode HandshakeInfo}, in its order. */
const HANDSHAKE_LABELS = [
  ["path", "path"],
  ["origin", "origin"],
  ["protocol", "protocol"],
  ["userAgent", "user-agent"],
  ["forwardedFor", "x-forwarded-for"],
] as const;

/**
 * What the core needs of a runtime's clients of type `S`: who one is, for
 * log lines, and how to close one, for shutdown. Never how to send: the
 * glue sends.
 */
export interface Peers<S> {
  /** The identity the glue attached to `peer` when it was accepted. */
  info(peer: S): PeerInfo;
  /** Starts the closing handshake with `code`. */
  close(peer: S, code: number, reason: string): void;
}

/** A client that knows who it is and closes itself (Deno, the engine). */
export interface SelfDescribedPeer extends PeerInfo {
  close(code: number, reason: string): void;
}

const SELF_DESCRIBED: Peers<SelfDescribedPeer> = {
  info: (peer) => peer,
  close: (peer, code, reason) => peer.close(code, reason),
};

/** The {@linkcode Peers} of clients that are their own `PeerInfo`. */
export function selfDescribed<P extends SelfDescribedPeer>(): Peers<P> {
  return SELF_DESCRIBED;
}

/** Plain counters; `/healthz` and `/metrics` read them. */
export class EchoStats {
  connectionsTotal = 0;
  textMessagesIn = 0;
  binaryMessagesIn = 0;
  textBytesIn = 0;
  binaryBytesIn = 0;
  textMessagesOut = 0;
  binaryMessagesOut = 0;
  textBytesOut = 0;
  binaryBytesOut = 0;
  /** Closed connections by close code (1005: none given, 1006: abnormal). */
  readonly closeCodes: Map<number, number> = new Map();
}

export class EchoHub<S> {
  /** The connected clients: added on open, removed on close or error. */
  readonly clients: Set<S> = new Set();
  readonly stats: EchoStats = new EchoStats();
  private lastId = 0;
  private onEmpty: (() => void) | undefined;

  constructor(
    private readonly peers: Peers<S>,
    private readonly log: Logger,
    /** `--debug`: every connect, message and disconnect is logged. */
    readonly debug: boolean,
  ) {}

  /** Number of clients connected right now. */
  get size(): number {
    return this.clients.size;
  }

  /** A fresh client number for logs; glue calls it when accepting. */
  nextId(): number {
    return ++this.lastId;
  }

  /**
   * A client is accepted. `handshake` is what its request said, which the
   * glue reads only with `--debug` (see {@linkcode debug}).
   */
  open(socket: S, handshake?: HandshakeInfo): void {
    this.clients.add(socket);
    this.stats.connectionsTotal++;
    if (this.debug) this.logOpen(socket, handshake);
  }

  /**
   * `#1 connected from ip:port (1 connected): path "/", origin "…", …`;
   * what the peer sent is escaped and cut like a preview in text lines,
   * and is a plain field each in JSON Lines.
   */
  private logOpen(socket: S, handshake: HandshakeInfo | undefined): void {
    const { id, remote } = this.peers.info(socket);
    const properties: Record<string, unknown> = {
      id,
      remote,
      clients: this.clients.size,
    };
    const shown: string[] = [];
    for (const [key, label] of HANDSHAKE_LABELS) {
      const value = handshake?.[key];
      if (value === undefined) continue;
      properties[key] = new PeerText(value);
      shown.push(`${label} {${key}}`);
    }
    this.log.debug(
      "#{id} connected from {remote} ({clients} connected)" +
        (shown.length > 0 ? ": " + shown.join(", ") : ""),
      properties,
    );
  }

  /**
   * The glue has echoed a text message of `bytes` UTF-8 bytes back to
   * `socket`. `text` is read only for the `--debug` preview, only during
   * this call: as a string (Deno, Bun) or as its UTF-8 bytes (the engine,
   * which validates text as bytes and never decodes it on the echo path).
   */
  echoedText(socket: S, text: string | Uint8Array, bytes: number): void {
    const stats = this.stats;
    stats.textMessagesIn++;
    stats.textBytesIn += bytes;
    stats.textMessagesOut++;
    stats.textBytesOut += bytes;
    // Previews show text as text: decoded here, and only with --debug.
    if (this.debug) {
      this.logMessage(
        socket,
        typeof text === "string" ? text : utf8Decoder.decode(text),
      );
    }
  }

  /**
   * The glue has echoed a binary message back to `socket`; `data` is read
   * (its size, and its preview with `--debug`) only during this call.
   */
  echoedBinary(socket: S, data: ArrayBuffer | Uint8Array): void {
    const stats = this.stats;
    const bytes = data.byteLength;
    stats.binaryMessagesIn++;
    stats.binaryBytesIn += bytes;
    stats.binaryMessagesOut++;
    stats.binaryBytesOut += bytes;
    if (this.debug) this.logMessage(socket, data);
  }

  /** Forgets the client; safe to call more than once for one socket. */
  closed(socket: S, code: number, reason: string): void {
    if (!this.clients.delete(socket)) return;
    const closeCodes = this.stats.closeCodes;
    closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
    if (this.clients.size === 0) this.onEmpty?.();
    if (this.debug) {
      const { id, remote } = this.peers.info(socket);
      // The reason is its own field in JSON Lines ("" when none was
      // given); text lines show it quoted, and leave it out when empty.
      this.log.debug(
        reason
          ? "#{id} disconnected from {remote}: code {code} {reason} ({clients} connected)"
          : "#{id} disconnected from {remote}: code {code} ({clients} connected)",
        {
          id,
          remote,
          code,
          reason: new PeerText(reason, MAX_CLOSE_REASON),
          clients: this.clients.size,
        },
      );
    }
  }

  /** Sends every client a close frame with `code`, e.g. 1001 on shutdown. */
  closeAll(code: number, reason: string): void {
    for (const socket of this.clients) {
      this.peers.close(socket, code, reason);
    }
  }

  /**
   * Closes every client with `code` and waits until all have gone or
   * `timeoutMs` has passed. Resolves to whether all of them went.
   */
  drain(code: number, reason: string, timeoutMs: number): Promise<boolean> {
    this.closeAll(code, reason);
    if (this.clients.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (allGone: boolean) => {
        clearTimeout(timer);
        this.onEmpty = undefined;
        resolve(allGone);
      };
      this.onEmpty = () => finish(true);
    });
  }

  private logMessage(socket: S, data: Payload): void {
    const { id } = this.peers.info(socket);
    const { type, size, preview } = describePayload(data);
    this.log.debug("#{id} echoed {type} message, {size} bytes: {preview}", {
      id,
      type,
      size,
      preview,
    });
  }
}

/**
 * What code outside the glue reads of a hub, whatever its socket type:
 * `/healthz` and `/metrics` read these two.
 */
export type HubView = Pick<EchoHub<unknown>, "size" | "stats">;

/** A hub as shutdown sees it: it also closes every client and waits. */
export type HubControl = HubView & Pick<EchoHub<unknown>, "drain">;
