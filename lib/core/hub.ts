/**
 * The echo core: which clients are connected, what each one sent, and what
 * went back. It knows nothing of Deno or Bun; a runtime's glue hands it
 * sockets and a {@linkcode Transport} that can write to them.
 *
 * `message()` is the hot path. With `--debug` off it allocates nothing of its
 * own and calls no logger: it counts, sends the very value it was given
 * back, and returns. (On Deno, counting a text message's bytes allocates a
 * little inside Deno's `Buffer`; see `utf8Length` in payload.ts.)
 */
import type { Logger } from "@logtape/logtape";
import { type Payload, utf8Length } from "./payload.ts";
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

/** What the core needs from a runtime's socket type `S`. */
export interface Transport<S> {
  /**
   * Sends `data` back on `socket`, as text if it is a string. Returns the
   * payload's size in bytes where the runtime tells it for free (Bun does,
   * for text, saving the core from measuring UTF-8), else
   * {@linkcode SIZE_UNKNOWN}.
   */
  send(socket: S, data: Payload): number;
  /**
   * Sends text given as its UTF-8 bytes back on `socket`. Only engines
   * that read frames themselves have it (wsecho): they validate text as
   * bytes and echo the same bytes, never decoding them to a string.
   */
  sendText?(socket: S, utf8: Uint8Array): void;
  /** Starts the closing handshake with `code`. */
  close(socket: S, code: number, reason: string): void;
  /** The identity the glue attached to `socket` when it was accepted. */
  info(socket: S): PeerInfo;
}

/** What {@linkcode Transport.send} returns when it does not know the size. */
export const SIZE_UNKNOWN = -1;

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
    private readonly transport: Transport<S>,
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
    const { id, remote } = this.transport.info(socket);
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

  /** Echoes `data` to the socket it came from. */
  message(socket: S, data: Payload): void {
    const stats = this.stats;
    if (typeof data === "string") {
      const sent = this.transport.send(socket, data);
      const bytes = sent === SIZE_UNKNOWN ? utf8Length(data) : sent;
      stats.textMessagesIn++;
      stats.textBytesIn += bytes;
      stats.textMessagesOut++;
      stats.textBytesOut += bytes;
    } else {
      const bytes = data.byteLength;
      stats.binaryMessagesIn++;
      stats.binaryBytesIn += bytes;
      this.transport.send(socket, data);
      stats.binaryMessagesOut++;
      stats.binaryBytesOut += bytes;
    }
    if (this.debug) this.logMessage(socket, data);
  }

  /**
   * Echoes a text message handed over as its UTF-8 bytes (already
   * validated), through the transport's `sendText`. A method of its own
   * rather than a flag on `message()`, so that the builtin engines' hot
   * path is unchanged.
   */
  textMessage(socket: S, utf8: Uint8Array): void {
    const stats = this.stats;
    const bytes = utf8.length;
    stats.textMessagesIn++;
    stats.textBytesIn += bytes;
    this.transport.sendText!(socket, utf8);
    stats.textMessagesOut++;
    stats.textBytesOut += bytes;
    // Previews show text as text: decoded here, and only with --debug.
    if (this.debug) this.logMessage(socket, utf8Decoder.decode(utf8));
  }

  /** Forgets the client; safe to call more than once for one socket. */
  closed(socket: S, code: number, reason: string): void {
    if (!this.clients.delete(socket)) return;
    const closeCodes = this.stats.closeCodes;
    closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
    if (this.clients.size === 0) this.onEmpty?.();
    if (this.debug) {
      const { id, remote } = this.transport.info(socket);
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
      this.transport.close(socket, code, reason);
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
    const { id } = this.transport.info(socket);
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
