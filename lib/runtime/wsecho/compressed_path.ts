/**
 * The echo path of a connection that negotiated permessage-deflate. zlib
 * is asynchronous, so the events of one read are run one after the other
 * as jobs: a message is inflated (its size capped at `--max-message`,
 * 1009; bad data or text that is not UTF-8 once inflated, 1007), its echo
 * deflated, and the connection sends and records it, before the next event
 * (message, pong, close) of the same connection is looked at. The read
 * loop waits for all of them (`settle`) before it writes and reads again,
 * so order is kept and the connection's memory stays bounded.
 */
import { INVALID_PAYLOAD, MESSAGE_TOO_BIG } from "../../core/close_codes.ts";
import type { PeerInfo } from "../../core/hub.ts";
import { INTERNAL_ERROR, logInternalError } from "../../core/internal_error.ts";
import type { DeflateCodec } from "../../protocol/deflate_codec.ts";
import { OPCODE_TEXT } from "../../protocol/opcodes.ts";
import { isValidUtf8 } from "../../protocol/utf8.ts";

/** What the compressed path needs of its connection. */
export interface CompressedPeer extends PeerInfo {
  readonly isOpen: boolean;
  /**
   * Sends the echo of `message` as `wire` (deflated when `compressed`),
   * and has the hub record `message`.
   */
  sendEcho(
    opcode: number,
    message: Uint8Array,
    wire: Uint8Array,
    compressed: boolean,
  ): void;
  fail(code: number, reason: string): void;
}

/** A message as received (inflated) and its echo as it is to be sent. */
interface Echo {
  readonly message: Uint8Array;
  readonly wire: Uint8Array;
  readonly compressed: boolean;
}

export class CompressedPath<P extends CompressedPeer> {
  #tail: Promise<void> | undefined;

  constructor(
    private readonly peer: P,
    private readonly codec: DeflateCodec,
    /** `--debug`: an internal error's log line carries its stack. */
    private readonly debug: boolean,
  ) {}

  /**
   * Runs `job` once everything queued before it has run. A job that
   * throws is a bug of ours: logged, and the connection closed with 1011.
   */
  after(job: () => void | Promise<void>): void {
    const tail = this.#tail ?? Promise.resolve();
    this.#tail = tail.then(job).catch((error) => {
      logInternalError(
        "the permessage-deflate path",
        error,
        this.peer,
        this.debug,
      );
      this.peer.fail(INTERNAL_ERROR, "internal error");
    });
  }

  /** A whole message from the Receiver; `payload` is only valid now. */
  message(opcode: number, payload: Uint8Array, compressed: boolean): void {
    const copy = payload.slice();
    this.after(async () => {
      const echo = await this.#echoOf(opcode, copy, compressed);
      if (echo === undefined || !this.peer.isOpen) return;
      this.peer.sendEcho(opcode, echo.message, echo.wire, echo.compressed);
    });
  }

  /**
   * The message inflated (if it was compressed) and its echo deflated; or
   * undefined when the connection was failed for it.
   */
  async #echoOf(
    opcode: number,
    data: Uint8Array,
    compressed: boolean,
  ): Promise<Echo | undefined> {
    let message = data;
    if (compressed) {
      const inflated = await this.codec.inflate(data);
      if (!inflated.ok) {
        if (inflated.error === "too big") {
          this.peer.fail(MESSAGE_TOO_BIG, "message too big once inflated");
        } else if (inflated.error === "invalid data") {
          this.peer.fail(INVALID_PAYLOAD, "invalid compressed data");
        }
        return undefined;
      }
      message = inflated.data;
      if (opcode === OPCODE_TEXT && !isValidUtf8(message)) {
        this.peer.fail(INVALID_PAYLOAD, "text is not valid UTF-8");
        return undefined;
      }
    }
    if (!this.peer.isOpen) return undefined;
    const deflated = await this.codec.deflate(message);
    return { message, wire: deflated.data, compressed: deflated.compressed };
  }

  /** Resolves once every queued job has run. */
  async settle(): Promise<void> {
    while (this.#tail !== undefined) {
      const tail = this.#tail;
      await tail;
      if (this.#tail === tail) this.#tail = undefined;
    }
  }

  close(): void {
    this.codec.close();
  }
}
