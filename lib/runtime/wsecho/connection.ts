/**
 * One connection of the wsecho engine, from its first byte to its end:
 *
 *     http ──101──▶ open ──we close──▶ closing ──their close──▶ done
 *       │             └──their close / a violation──────────────▶ done
 *       └─ answered with `Connection: close`, 400/431/505, 408 ─▶ end
 *
 * The read loop is the whole machine: read, hand the bytes to the head
 * parser or the Receiver (all complete frames of the read in one pass, each
 * echo appended to one FrameBatch), write that batch in ONE write, and only
 * then read again. Timers (idle pings, handshake and closing timeouts,
 * stuck writes) are one sweep over all connections (server.ts), not one
 * timer per connection.
 */
import {
  ABNORMAL_CLOSURE,
  GOING_AWAY,
  MESSAGE_TOO_BIG,
  NO_STATUS_RECEIVED,
  POLICY_VIOLATION,
} from "../../core/close_codes.ts";
import type { EchoHub, HandshakeInfo, PeerInfo } from "../../core/hub.ts";
import type { ConnectionLimits } from "../../config/options.ts";
import type { UpgradeGate } from "../../http/upgrade_gate.ts";
import { RequestHeadParser } from "../../protocol/http1/request_parser.ts";
import {
  errorBytes,
  REQUEST_TIMEOUT_BYTES,
} from "../../protocol/http1/response_writer.ts";
import { DeflateCodec } from "../../protocol/deflate_codec.ts";
import type { DeflateParams } from "../../protocol/deflate_negotiation.ts";
import { OPCODE_TEXT } from "../../protocol/opcodes.ts";
import { Receiver, type ReceiverHandler } from "../../protocol/receiver.ts";
import { formatAddress } from "../address.ts";
import { logRefusal, tooBigReason } from "../limits.ts";
import { type Answer, answer, type HttpSideOptions } from "./http_side.ts";
import { CompressedPath, type CompressedPeer } from "./compressed_path.ts";
import { Outbound } from "./outbound.ts";
import { ReadBuffer } from "./read_buffer.ts";

/**
 * How long the other side has to end TCP after the closing handshake (or
 * after we failed the connection) before we drop it ourselves.
 */
export const CLOSE_TIMEOUT_MS = 1500;

export const enum State {
  Http,
  Open,
  /** We sent a close frame; waiting for the client's. */
  Closing,
  /** Close frames exchanged, or the connection failed: TCP ends next. */
  Done,
  Ended,
}

/** What every connection of one server shares. */
export interface ServerContext {
  readonly hub: EchoHub<Connection>;
  readonly gate: UpgradeGate;
  readonly limits: ConnectionLimits;
  readonly http: HttpSideOptions;
  /** Seconds to send a request head (`--handshake-timeout`); 0: never. */
  readonly handshakeTimeout: number;
  /** Called once when the connection is over. */
  forget(connection: Connection): void;
}

export class Connection implements PeerInfo, ReceiverHandler, CompressedPeer {
  id = 0;
  state: State = State.Http;
  readonly out: Outbound;
  /** Set on every read; the sweep clears it and so sees silence. */
  active = true;
  /** Sweep ticks (or ms) bookkeeping, owned by the sweep. */
  silentSince = 0;
  pinged = false;
  /** When the current phase must be over (head, closing), ms; 0: no limit. */
  deadline = 0;
  /** Write progress seen by the last sweep, and since when it stood still. */
  seenProgress = 0;
  stalledSince = 0;

  #receiver: Receiver | undefined;
  #compressed: CompressedPath<Connection> | undefined;
  /** The close code for the hub: theirs if they sent one, else ours. */
  #closeCode = 0;
  #closeReason = "";
  #writeClosed = false;
  /** The client's close frame arrived (the read loop ends after our reply). */
  #closeReceived = false;
  /** The client a trusted proxy named (`--trust-proxy`), for log lines. */
  #forwardedClient: string | undefined;

  constructor(
    readonly conn: Deno.Conn,
    private readonly context: ServerContext,
  ) {
    this.out = new Outbound(conn);
  }

  get isOpen(): boolean {
    return this.state === State.Open;
  }

  /**
   * The peer's IP address, asked for by /healthz and --trust-proxy. A
   * method, not a bound arrow field: a field is one more function object
   * on every idle connection.
   */
  peerAddress(): string | undefined {
    const addr = this.conn.remoteAddr;
    return addr.transport === "tcp" ? addr.hostname : undefined;
  }

  /**
   * `ip:port` (or the forwarded client's address, as the builtin glues
   * report it), formatted only when a log line asks for it.
   */
  get remote(): string {
    if (this.#forwardedClient !== undefined) return this.#forwardedClient;
    const addr = this.conn.remoteAddr;
    return addr.transport === "tcp"
      ? formatAddress(addr.hostname, addr.port)
      : addr.transport;
  }

  /** Runs the connection to its end; never rejects. */
  async run(): Promise<void> {
    // The Receiver unmasks in place and hands out views of the buffer,
    // valid until the next read; its size follows the traffic.
    const buffer = new ReadBuffer();
    try {
      const rest = await this.#serveHttp(buffer);
      if (rest !== undefined) await this.#serveFrames(buffer, rest);
    } catch {
      // Reset, TLS failure, closed by a timeout: the connection is over.
    }
    this.end();
    buffer.release(); // no read is pending any more
  }

  // --- HTTP ---------------------------------------------------------------

  /**
   * Requests until one is upgraded (returns the bytes after its head) or
   * the connection is to end (returns undefined).
   */
  async #serveHttp(buffer: ReadBuffer): Promise<Uint8Array | undefined> {
    const parser = new RequestHeadParser();
    for (;;) {
      const n = await this.conn.read(buffer.next());
      if (n === null) return undefined;
      let chunk = buffer.got(n);
      // Answered with a 408 meanwhile: discard until the client ends.
      if (this.state !== State.Http) continue;
      while (chunk.length > 0 && this.state === State.Http) {
        const parsed = parser.push(chunk);
        if (parsed.kind === "partial") break;
        if (parsed.kind === "error") {
          const { status, message } = parsed.error;
          await this.#writeAndLinger(errorBytes(status, message));
          return undefined;
        }
        const rest = chunk.subarray(parsed.consumed);
        const reply: Answer = await answer(
          parsed.head,
          this.context.http,
          () => this.peerAddress(),
        );
        if (this.state !== State.Http) return undefined; // timed out meanwhile
        if (reply.kind === "upgrade") {
          // The rest of the read is the first frames: keep it past the
          // 101's write (the buffer is not read into meanwhile).
          // A client (and its gate slot) from here on, so that a failing
          // write of the 101 still gives the slot back.
          this.#forwardedClient = reply.client;
          this.#open(reply.deflate, reply.handshake);
          await this.#write(reply.bytes);
          return rest;
        }
        if (reply.close) {
          await this.#writeAndLinger(reply.bytes);
          return undefined;
        }
        await this.#write(reply.bytes);
        this.deadline = this.#headDeadline();
        chunk = rest;
      }
    }
  }

  /** The deadline for the next request head, from now. */
  #headDeadline(): number {
    const seconds = this.context.handshakeTimeout;
    return seconds > 0 ? Date.now() + seconds * 1000 : 0;
  }

  /** Starts the head timeout; called when accepted. */
  startHeadTimer(): void {
    this.deadline = this.#headDeadline();
  }

  /** The head did not arrive in time: 408 and close. */
  headTimedOut(): void {
    if (this.state !== State.Http) return;
    // The read loop keeps reading (and discarding) until the client ends
    // or the sweep drops the connection at the new deadline.
    this.state = State.Done;
    this.deadline = Date.now() + CLOSE_TIMEOUT_MS;
    this.#write(REQUEST_TIMEOUT_BYTES).then(
      () => this.#closeWrite(),
      () => this.end(),
    );
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  /**
   * Writes a last response, ends our side and waits (bounded) for the
   * client to end its side: closing at once with unread bytes would reset
   * the connection, and a reset can destroy the response before it is read.
   */
  async #writeAndLinger(bytes: Uint8Array): Promise<void> {
    this.state = State.Done;
    await this.#write(bytes);
    this.#closeWrite();
    this.deadline = Date.now() + CLOSE_TIMEOUT_MS;
    const sink = new Uint8Array(1024);
    while (await this.conn.read(sink) !== null) { /* discard */ }
  }

  #closeWrite(): void {
    if (this.#writeClosed) return;
    this.#writeClosed = true;
    try {
      this.conn.closeWrite();
    } catch { /* already gone */ }
  }

  // --- Frames -------------------------------------------------------------

  #open(
    deflate: DeflateParams | undefined,
    handshake: HandshakeInfo | undefined,
  ): void {
    const { hub, limits } = this.context;
    this.state = State.Open;
    this.deadline = 0;
    this.id = hub.nextId();
    this.#receiver = new Receiver(this, {
      maxMessage: limits.maxMessage,
      rsv1Allowed: deflate !== undefined,
    });
    if (deflate !== undefined) {
      this.#compressed = new CompressedPath(
        this,
        new DeflateCodec(deflate, { maxMessage: limits.maxMessage }),
        hub,
      );
    }
    hub.open(this, handshake);
  }

  async #serveFrames(buffer: ReadBuffer, first: Uint8Array): Promise<void> {
    const receiver = this.#receiver!;
    let chunk = first;
    for (;;) {
      if (chunk.length > 0) {
        this.active = true;
        receiver.push(chunk);
        if (this.#compressed !== undefined) await this.#compressed.settle();
        if (this.out.queued > 0 || this.out.writing) await this.out.flush();
        // The client's close frame is in and our answer written: the client
        // sends nothing after it (RFC 6455 §5.5.1), so there is no unread
        // data to turn our close into a reset, and the server ends TCP
        // first (§7.1.1): close now. Half-closing and waiting for the
        // client's FIN cost a shutdown and one more read per connection
        // (op_shutdown alone was 5.4 % of busy time in the handshake
        // profile).
        if (this.#closeReceived) return;
        if (this.state === State.Done && !this.#writeClosed) {
          // The connection failed: our side ends; the client ends its
          // side, or the sweep drops it (a client still sending when we
          // fail it would get a reset that can destroy our close frame).
          this.#closeWrite();
          this.deadline = Date.now() + CLOSE_TIMEOUT_MS;
        }
      }
      const n = await this.conn.read(buffer.next());
      if (n === null) return;
      chunk = buffer.got(n);
    }
  }

  /** A frame to send, in order with everything else; kicks the writer. */
  #queued(): void {
    if (
      this.out.writing && this.out.queued > this.context.limits.maxBuffered
    ) {
      this.refuseStuck(
        `not reading: over ${this.context.limits.maxBuffered} bytes queued`,
      );
      return;
    }
    this.out.flush().catch(() => this.end());
  }

  // ReceiverHandler: called from receiver.push(), in the order of the wire.

  onMessage(opcode: number, payload: Uint8Array, compressed: boolean): void {
    if (this.state !== State.Open) return;
    if (this.#compressed !== undefined) {
      this.#compressed.message(opcode, payload, compressed);
    } else if (opcode === OPCODE_TEXT) {
      this.context.hub.textMessage(this, payload);
    } else this.context.hub.message(this, payload);
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

  /** Sends an echo (the hub's transport calls this). */
  sendMessage(opcode: number, payload: Uint8Array): void {
    if (this.state !== State.Open) return;
    if (this.#compressed !== undefined) {
      this.#compressed.echo(opcode, payload);
      return;
    }
    this.out.batch.appendMessage(opcode, payload);
    if (this.out.writing) this.#queued();
  }

  /** Appends a deflated (or plain) echo of the compressed path. */
  appendEcho(opcode: number, payload: Uint8Array, compressed: boolean): void {
    if (this.state !== State.Open) return;
    this.out.batch.appendMessage(opcode, payload, compressed);
    if (this.out.writing) this.#queued();
  }

  pong(payload: Uint8Array): void {
    if (this.state !== State.Open) return;
    this.out.batch.appendPong(payload);
    if (this.out.writing) this.#queued();
  }

  closedByClient(code: number, reason: Uint8Array): void {
    this.#closeReceived = true;
    if (this.#closeCode === 0) {
      this.#closeCode = code;
      this.#closeReason = new TextDecoder().decode(reason);
    } else {
      // They answered our close: report theirs, as the builtin does.
      this.#closeCode = code;
    }
    if (this.state === State.Open) {
      // Echo their close payload, code and reason, as Deno's and Bun's
      // engines do (the receiver checked both: a sendable code, a UTF-8
      // reason of at most 123 bytes); a close without one is answered
      // without one.
      if (code === NO_STATUS_RECEIVED) this.out.batch.appendClose();
      else this.out.batch.appendClose(code, reason);
    }
    this.state = State.Done;
  }

  /** The first protocol violation (or an inflate failure): close with `code`. */
  fail(code: number, reason: string): void {
    if (this.state !== State.Open && this.state !== State.Closing) return;
    this.#receiver?.stop();
    if (code === MESSAGE_TOO_BIG) {
      // The words and the log line of the builtin engines' refusal.
      reason = tooBigReason(this.context.limits.maxMessage);
      logRefusal(this, code, reason);
    }
    if (this.state === State.Open) this.out.batch.appendClose(code, reason);
    if (this.#closeCode === 0) {
      this.#closeCode = code;
      this.#closeReason = reason;
    }
    this.state = State.Done;
    this.#queued();
  }

  /** Starts the closing handshake from our side (shutdown). */
  close(code: number, reason: string): void {
    this.#sendClose(code, reason, true);
  }

  /** An idle ping (the sweep). */
  ping(): void {
    if (this.state !== State.Open) return;
    this.out.batch.appendPing(EMPTY);
    this.#queued();
  }

  /**
   * Heartbeat gave up: 1001, and TCP dropped once it is written, as Deno's
   * built-in engine does. The peer was silent through the whole timeout
   * and its ping: no close reply will come, and waiting CLOSE_TIMEOUT_MS
   * for one would hold a dead socket that much longer.
   */
  idleTimedOut(): void {
    this.#sendClose(GOING_AWAY, "idle timeout", false);
  }

  /** Our close frame; then the client's close (`awaitReply`) or the end. */
  #sendClose(code: number, reason: string, awaitReply: boolean): void {
    if (this.state === State.Http) {
      // Not upgraded yet: nothing to say goodbye with.
      this.end();
      return;
    }
    if (this.state !== State.Open) return;
    const send = () => {
      if (this.state !== State.Open) return;
      this.out.batch.appendClose(code, reason);
      this.#closeCode = code;
      this.#closeReason = reason;
      this.state = awaitReply ? State.Closing : State.Done;
      // Also bounds the write of a close that is not to be awaited.
      this.deadline = Date.now() + CLOSE_TIMEOUT_MS;
      this.#queued();
      if (!awaitReply) {
        const end = () => this.end();
        this.out.flush().then(end, end);
      }
    };
    if (this.#compressed !== undefined) this.#compressed.after(send);
    else send();
  }

  /**
   * A client that does not read what we write: it is dropped, with the
   * 1008 logged (a close frame could not reach it through the stuck write).
   */
  refuseStuck(reason: string): void {
    if (this.state === State.Ended) return;
    logRefusal(this, POLICY_VIOLATION, reason);
    if (this.#closeCode === 0) {
      this.#closeCode = POLICY_VIOLATION;
      this.#closeReason = reason;
    }
    this.end();
  }

  /** Ends the connection now, once: forgets it and closes TCP. */
  end(): void {
    if (this.state === State.Ended) return;
    const upgraded = this.id !== 0;
    this.state = State.Ended;
    this.#receiver?.stop();
    this.#compressed?.close();
    try {
      this.conn.close();
    } catch { /* already closed */ }
    this.out.release();
    this.context.forget(this);
    if (upgraded) {
      this.context.gate.release();
      this.context.hub.closed(
        this,
        this.#closeCode || ABNORMAL_CLOSURE,
        this.#closeReason,
      );
    }
  }
}

const EMPTY = new Uint8Array(0);
