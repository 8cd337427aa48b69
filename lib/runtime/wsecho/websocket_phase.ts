/**
 * The WebSocket phase of one engine connection: the client as the hub sees
 * it (its number, its address), the frames it sends (Receiver) and those
 * we send back, and the closing handshake. Every call into the hub is in
 * this file: `open` in the constructor, `echoedText`/`echoedBinary` in
 * sendEcho() (called by onMessage, and by compressed_path.ts for deflated
 * messages) right after the echo is appended, `closed` in ended(). The
 * hub never sends: it records what this phase sent.
 */
import {
  GOING_AWAY,
  MESSAGE_TOO_BIG,
  NO_STATUS_RECEIVED,
  POLICY_VIOLATION,
} from "../../core/close_codes.ts";
import type { ConnectionLimits } from "../../config/options.ts";
import type { EchoHub, PeerInfo } from "../../core/hub.ts";
import type { ClientSlot } from "../../http/client_slots.ts";
import { DeflateCodec } from "../../protocol/deflate_codec.ts";
import { OPCODE_TEXT } from "../../protocol/opcodes.ts";
import { Receiver, type ReceiverHandler } from "../../protocol/receiver.ts";
import { logRefusal, tooBigReason } from "../limits.ts";
import { CompressedPath, type CompressedPeer } from "./compressed_path.ts";
import type { Upgraded } from "./http_phase.ts";
import type { PhaseHost } from "./phase_host.ts";
import type { ReadBuffer } from "./read_buffer.ts";
import { State } from "./state.ts";

const EMPTY = new Uint8Array(0);

/** What the WebSocket phases of one server share. */
export interface WebSocketContext {
  readonly hub: EchoHub<WebSocketPhase>;
  readonly limits: ConnectionLimits;
}
const utf8 = new TextDecoder();

export class WebSocketPhase
  implements PeerInfo, ReceiverHandler, CompressedPeer {
  readonly id: number;
  readonly #receiver: Receiver;
  readonly #compressed: CompressedPath<WebSocketPhase> | undefined;
  /** The client a trusted proxy named (`--trust-proxy`), for log lines. */
  readonly #forwardedClient: string | undefined;
  /** Held from the upgrade on (`--max-clients`), given back by ended(). */
  readonly #slot: ClientSlot;
  /**
   * The close for the hub, code and reason always from the same frame:
   * the first close seen (theirs, or ours if we spoke first), replaced by
   * theirs when they answer ours, as the builtin engines report it.
   */
  #closeCode = 0;
  #closeReason = "";
  /** The bytes after the request head (the first frames), until serve(). */
  #first: Uint8Array | undefined;

  /**
   * A client (and its gate slot) from here on, so that a failing write of
   * the 101 still gives the slot back.
   */
  constructor(
    private readonly connection: PhaseHost,
    private readonly context: WebSocketContext,
    upgraded: Upgraded,
  ) {
    const { hub, limits } = context;
    connection.enter(State.Open);
    this.#forwardedClient = upgraded.client;
    this.#slot = upgraded.slot;
    this.#first = upgraded.rest;
    this.id = hub.nextId();
    this.#receiver = new Receiver(this, {
      maxMessage: limits.maxMessage,
      rsv1Allowed: upgraded.deflate !== undefined,
    });
    if (upgraded.deflate !== undefined) {
      this.#compressed = new CompressedPath(
        this,
        new DeflateCodec(upgraded.deflate, { maxMessage: limits.maxMessage }),
        hub.debug,
      );
    }
    hub.open(this, upgraded.handshake);
    connection.out.send(upgraded.bytes).catch(() => connection.end());
  }

  get isOpen(): boolean {
    return this.connection.state === State.Open;
  }

  /** `ip:port` (or the forwarded client's address, as the builtin glues report it). */
  get remote(): string {
    return this.#forwardedClient ?? this.connection.remote;
  }

  /** Reads frames until the connection is to end. */
  async serve(buffer: ReadBuffer): Promise<void> {
    const connection = this.connection;
    const { out, socket } = connection;
    const receiver = this.#receiver;
    let chunk = this.#first ?? EMPTY;
    this.#first = undefined;
    for (;;) {
      if (chunk.length > 0) {
        connection.heard();
        receiver.push(chunk);
        if (this.#compressed !== undefined) await this.#compressed.settle();
        if (out.queued > 0 || out.writing) await out.flush();
        const state = connection.state;
        // The client's close frame is in and our answer written: the client
        // sends nothing after it (RFC 6455 §5.5.1), so there is no unread
        // data to turn our close into a reset, and the server ends TCP
        // first (§7.1.1): close now. Half-closing and waiting for the
        // client's FIN cost a shutdown and one more read per connection
        // (op_shutdown alone was 5.4 % of busy time in the handshake
        // profile).
        if (state === State.PeerClosed) return;
        if (state === State.Failing) {
          // The connection failed: our side ends; the client ends its
          // side, or the closing timeout drops it (a client still sending
          // when we fail it would get a reset that can destroy our close
          // frame).
          connection.shutWrite();
        }
      }
      const n = await socket.read(buffer.next());
      if (n === null) return;
      chunk = buffer.got(n);
    }
  }

  /** A frame to send, in order with everything else; kicks the writer. */
  #queued(): void {
    const out = this.connection.out;
    const { maxBuffered } = this.context.limits;
    if (out.writing && out.queued > maxBuffered) {
      this.connection.refuseStuck(
        `not reading: over ${maxBuffered} bytes queued`,
      );
      return;
    }
    out.flush().catch(() => this.connection.end());
  }

  // ReceiverHandler: called from receiver.push(), in the order of the wire.

  onMessage(opcode: number, payload: Uint8Array, compressed: boolean): void {
    if (this.connection.state !== State.Open) return;
    if (this.#compressed !== undefined) {
      this.#compressed.message(opcode, payload, compressed);
    } else this.sendEcho(opcode, payload, payload, false);
  }

  onPing(payload: Uint8Array): void {
    if (this.#compressed !== undefined) {
      const copy = payload.slice();
      this.#compressed.after(() => this.pong(copy));
    } else this.pong(payload);
  }

  onPong(): void {}

  onClose(code: number, reason: Uint8Array): void {
    if (this.#compressed !== undefined) {
      const copy = reason.slice();
      this.#compressed.after(() => this.closedByClient(code, copy));
    } else this.closedByClient(code, reason);
  }

  onFailure(code: number, reason: string): void {
    if (this.#compressed !== undefined) {
      this.#compressed.after(() => this.fail(code, reason));
    } else this.fail(code, reason);
  }

  // What the receiver's events do, also called by the compressed path.

  /**
   * Sends the echo of `message` as `wire` (the compressed path's deflate,
   * else `message` itself), then has the hub record it: counters and the
   * `--debug` line. `message` is a view valid only during this call.
   */
  sendEcho(
    opcode: number,
    message: Uint8Array,
    wire: Uint8Array,
    compressed: boolean,
  ): void {
    if (this.connection.state !== State.Open) return;
    const out = this.connection.out;
    out.batch.appendMessage(opcode, wire, compressed);
    if (out.writing) this.#queued();
    const hub = this.context.hub;
    if (opcode === OPCODE_TEXT) hub.echoedText(this, message, message.length);
    else hub.echoedBinary(this, message);
  }

  pong(payload: Uint8Array): void {
    if (this.connection.state !== State.Open) return;
    const out = this.connection.out;
    out.batch.appendPong(payload);
    if (out.writing) this.#queued();
  }

  closedByClient(code: number, reason: Uint8Array): void {
    // Theirs, code with its own reason: the first close seen, or their
    // answer to ours (as the builtin engines report it).
    this.#closeCode = code;
    this.#closeReason = utf8.decode(reason);
    if (this.connection.state === State.Open) {
      // Echo their close payload, code and reason, as Deno's and Bun's
      // engines do (the receiver checked both: a sendable code, a UTF-8
      // reason of at most 123 bytes); a close without one is answered
      // without one.
      const out = this.connection.out;
      if (code === NO_STATUS_RECEIVED) out.batch.appendClose();
      else out.batch.appendClose(code, reason);
    }
    this.connection.enter(State.PeerClosed);
  }

  /**
   * The first protocol violation (an inflate failure, an error of ours):
   * close with `code`.
   */
  fail(code: number, reason: string): void {
    const state = this.connection.state;
    if (state !== State.Open && state !== State.Closing) return;
    this.#receiver.stop();
    if (code === MESSAGE_TOO_BIG) {
      // The words and the log line of the builtin engines' refusal.
      reason = tooBigReason(this.context.limits.maxMessage);
      logRefusal(this, code, reason);
    }
    if (state === State.Open) {
      this.connection.out.batch.appendClose(code, reason);
    }
    this.#record(code, reason);
    this.connection.enter(State.Failing);
    this.#queued();
  }

  /** Starts the closing handshake from our side (shutdown). */
  close(code: number, reason: string): void {
    this.#sendClose(code, reason, State.Closing);
  }

  /** An idle ping. */
  ping(): void {
    if (this.connection.state !== State.Open) return;
    this.connection.out.batch.appendPing(EMPTY);
    this.#queued();
  }

  /**
   * Heartbeat gave up: 1001, and TCP dropped once it is written, as Deno's
   * built-in engine does. The peer was silent through the whole timeout
   * and its ping: no close reply will come, and waiting CLOSE_TIMEOUT_MS
   * for one would hold a dead socket that much longer.
   */
  idleTimedOut(): void {
    this.#sendClose(GOING_AWAY, "idle timeout", State.Dropping);
  }

  /** Our close frame; then the client's close (`Closing`) or the end (`Dropping`). */
  #sendClose(code: number, reason: string, next: State): void {
    const send = () => {
      const connection = this.connection;
      if (connection.state !== State.Open) return;
      connection.out.batch.appendClose(code, reason);
      this.#closeCode = code;
      this.#closeReason = reason;
      // The closing timeout also bounds the write of a close not awaited.
      connection.enter(next);
      this.#queued();
      if (next === State.Dropping) {
        const end = () => connection.end();
        connection.out.flush().then(end, end);
      }
    };
    if (this.#compressed !== undefined) this.#compressed.after(send);
    else send();
  }

  /** The write is stuck: the 1008 is logged (no close frame can reach it). */
  refusedStuck(reason: string): void {
    logRefusal(this, POLICY_VIOLATION, reason);
    this.#record(POLICY_VIOLATION, reason);
  }

  /** A close of ours, unless one was seen already. */
  #record(code: number, reason: string): void {
    if (this.#closeCode !== 0) return;
    this.#closeCode = code;
    this.#closeReason = reason;
  }

  /** The connection ended: the slot goes back and the hub forgets the client. */
  ended(abnormal: number): void {
    this.#receiver.stop();
    this.#compressed?.close();
    this.#slot.release();
    this.context.hub.closed(
      this,
      this.#closeCode || abnormal,
      this.#closeReason,
    );
  }
}
