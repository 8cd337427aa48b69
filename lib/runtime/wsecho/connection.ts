/**
 * One connection of the wsecho engine, from its first byte to its end, in
 * two phases: HTTP (http_phase.ts) until a request is upgraded, then
 * WebSocket (websocket_phase.ts). Its `State` is the one source of truth
 * for where it is:
 *
 *     awaiting head ──head──▶ answering ──keep-alive──▶ awaiting head
 *       │  408 (tick)           │ Connection: close, 400/431/505 ─▶ lingering ─▶ end
 *       ▼                       └──101──▶ open ──we close──▶ closing ──their close──▶ peer closed ─▶ end
 *     lingering ─▶ end                      ├──their close──────────────────────────▶ peer closed ─▶ end
 *                                           ├──a violation──▶ failing ─▶ lingering ─▶ end
 *                                           └──idle (tick)──▶ dropping ─▶ end
 *
 * Each phase runs a read loop: read, hand the bytes to the head parser or
 * the Receiver (all complete frames of the read in one pass, each echo
 * appended to one FrameBatch), write in ONE write, and only then read
 * again. Every byte goes out through one `Outbound`, so two writers never
 * share the socket. Timers (handshake and closing timeouts, idle pings,
 * stuck writes) are `tick(now)` here, called by one sweep over all
 * connections (server.ts), not a timer per connection.
 */
import { ABNORMAL_CLOSURE } from "../../core/close_codes.ts";
import { INTERNAL_ERROR, logInternalError } from "../../core/internal_error.ts";
import { formatAddress } from "../address.ts";
import { HttpPhase } from "./http_phase.ts";
import type { HttpSideOptions } from "./http_side.ts";
import { Outbound } from "./outbound.ts";
import { ReadBuffer } from "./read_buffer.ts";
import type { EngineSocket } from "./socket.ts";
import { CLOSE_TIMEOUT_MS, State } from "./state.ts";
import type { PhaseHost } from "./phase_host.ts";
import { type WebSocketContext, WebSocketPhase } from "./websocket_phase.ts";

/** What every connection of one server shares. */
export interface ServerContext extends WebSocketContext {
  readonly http: HttpSideOptions;
  /** Seconds to send a request head (`--handshake-timeout`); 0: never. */
  readonly handshakeTimeout: number;
  /** Called once when the connection is over. */
  forget(connection: Connection): void;
}

export class Connection implements PhaseHost {
  #state: State = State.AwaitingHead;
  /** When the current state was entered (ms): its timeout counts from here. */
  #since = Date.now();
  readonly out: Outbound;
  /** The WebSocket phase, once upgraded. */
  #ws: WebSocketPhase | undefined;

  // Heartbeat: set on every read of frames; tick() clears it and so sees silence.
  #heard = true;
  #silentSince = 0;
  #pinged = false;
  // Stuck writes: the write progress tick() saw last, and since when it stood still.
  #seenProgress = 0;
  #stalledSince = 0;

  constructor(
    readonly socket: EngineSocket,
    readonly context: ServerContext,
  ) {
    this.out = new Outbound(socket);
  }

  get state(): State {
    return this.#state;
  }

  /** Moves to `state`; its timeout (if any) starts now. */
  enter(state: State): void {
    this.#state = state;
    this.#since = Date.now();
  }

  /** Frames arrived: the client is alive (read by the heartbeat). */
  heard(): void {
    this.#heard = true;
  }

  /**
   * The peer's IP address, asked for by /healthz and --trust-proxy. A
   * method, not a bound arrow field: a field is one more function object
   * on every idle connection.
   */
  peerAddress(): string | undefined {
    return this.socket.remoteHostname;
  }

  /** `ip:port`, formatted only when a log line asks for it. */
  get remote(): string {
    const hostname = this.socket.remoteHostname;
    return hostname === undefined
      ? "unknown"
      : formatAddress(hostname, this.socket.remotePort);
  }

  /** Runs the connection to its end; never rejects. */
  async run(): Promise<void> {
    // The Receiver unmasks in place and hands out views of the buffer,
    // valid until the next read; its size follows the traffic.
    const buffer = new ReadBuffer();
    try {
      const ws = await this.#serveHttp(buffer);
      if (ws !== undefined) await ws.serve(buffer);
    } catch (error) {
      // A reset, a TLS failure, the socket closed by a timeout: the
      // connection is over. Anything else is a bug of ours: said so.
      if (!this.socket.isNetworkError(error)) await this.#internalError(error);
    }
    this.end();
    buffer.release(); // no read is pending any more
  }

  /**
   * The HTTP phase, and the WebSocket phase set up if it ended in an
   * upgrade. A function of its own so that what the upgrade carried (the
   * 101's bytes, the handshake) is not kept by run()'s frame for the whole
   * life of the connection: that was 0.6 KiB per idle connection.
   */
  async #serveHttp(buffer: ReadBuffer): Promise<WebSocketPhase | undefined> {
    const upgraded = await new HttpPhase(this, this.context.http).serve(buffer);
    if (upgraded === undefined) return undefined;
    return this.#ws = new WebSocketPhase(this, this.context, upgraded);
  }

  /** Logs an error of our own code and closes with 1011 if a frame can still go. */
  async #internalError(error: unknown): Promise<void> {
    const ws = this.#ws;
    logInternalError("engine connection", error, ws, this.context.hub.debug);
    if (ws === undefined) return;
    ws.fail(INTERNAL_ERROR, "internal error");
    try {
      await this.out.flush(); // bounded by the closing timeout (tick)
    } catch { /* the client is gone */ }
  }

  /**
   * Ends our side once the last bytes are out, and waits (bounded) for
   * the client to end its side: closing at once with unread bytes would
   * reset the connection, and a reset can destroy what we wrote before it
   * is read.
   */
  shutWrite(): void {
    this.socket.closeWrite();
    this.enter(State.Lingering);
  }

  /** Writes `bytes` as the last thing said, then shuts our side. */
  sayLast(bytes: Uint8Array): Promise<void> {
    return this.out.send(bytes).then(() => {
      if (this.#state !== State.Ended) this.shutWrite();
    });
  }

  /**
   * The timer policy of one connection, called by the sweep with the
   * time: the handshake timeout (408), the closing timeout, writes the
   * client does not take, and the heartbeat (a ping after half the idle
   * timeout of silence, 1001 at the timeout).
   */
  tick(now: number): void {
    const state = this.#state;
    if (state === State.Ended) return;
    const elapsed = now - this.#since;
    if (state === State.AwaitingHead) {
      const limit = this.context.handshakeTimeout * 1000;
      if (limit > 0 && elapsed >= limit) HttpPhase.timedOut(this);
      return;
    }
    if (state >= State.Closing && elapsed >= CLOSE_TIMEOUT_MS) {
      this.end();
      return;
    }
    const idleMs = this.context.limits.idleTimeout * 1000;
    if (this.out.writing) {
      // A write the kernel does not take: the client stopped reading.
      if (this.out.progress !== this.#seenProgress) {
        this.#seenProgress = this.out.progress;
        this.#stalledSince = now;
      } else if (idleMs > 0 && now - this.#stalledSince >= idleMs) {
        this.refuseStuck(
          `not reading: no write progress for ${idleMs / 1000} s`,
        );
      }
      return;
    }
    this.#stalledSince = now;
    if (state !== State.Open || idleMs === 0) return;
    // Heartbeat as Deno's built-in engine does it.
    if (this.#heard) {
      this.#heard = false;
      this.#silentSince = now;
      this.#pinged = false;
    } else if (now - this.#silentSince >= idleMs) {
      this.#ws!.idleTimedOut();
    } else if (!this.#pinged && now - this.#silentSince >= idleMs / 2) {
      this.#pinged = true;
      this.#ws!.ping();
    }
  }

  /**
   * A client that does not read what we write: it is dropped (a close
   * frame could not reach it through the stuck write).
   */
  refuseStuck(reason: string): void {
    if (this.#state === State.Ended) return;
    this.#ws?.refusedStuck(reason);
    this.end();
  }

  /** Ends the connection now, once: forgets it and closes TCP. */
  end(): void {
    if (this.#state === State.Ended) return;
    this.#state = State.Ended;
    this.socket.close();
    this.out.release();
    this.context.forget(this);
    this.#ws?.ended(ABNORMAL_CLOSURE);
  }
}
