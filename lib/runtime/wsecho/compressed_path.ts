/**
 * The echo path of a connection that negotiated permessage-deflate. zlib
 * is asynchronous, so the events of one read are run one after the other
 * as jobs: a message is inflated (its size capped at `--max-message`,
 * 1009; bad data or text that is not UTF-8 once inflated, 1007), echoed,
 * and its echo deflated, before the next event (message, pong, close) of
 * the same connection is looked at. The read loop waits for all of them
 * (`settle`) before it writes and reads again, so order is kept and the
 * connection's memory stays bounded.
 */
import { INVALID_PAYLOAD, MESSAGE_TOO_BIG } from "../../core/close_codes.ts";
import type { EchoHub } from "../../core/hub.ts";
import type { DeflateCodec } from "../../protocol/deflate_codec.ts";
import { OPCODE_TEXT } from "../../protocol/opcodes.ts";
import { isValidUtf8 } from "../../protocol/utf8.ts";

/** What the compressed path needs of its connection. */
export interface CompressedPeer {
  readonly isOpen: boolean;
  appendEcho(opcode: number, payload: Uint8Array, compressed: boolean): void;
  fail(code: number, reason: string): void;
}

export class CompressedPath<P extends CompressedPeer> {
  #tail: Promise<void> | undefined;
  /** The deflate of the echo the hub just sent, awaited by its job. */
  #echo: Promise<void> | undefined;

  constructor(
    private readonly peer: P,
    private readonly codec: DeflateCodec,
    private readonly hub: EchoHub<P>,
  ) {}

  /** Runs `job` once everything queued before it has run. */
  after(job: () => void | Promise<void>): void {
    const tail = this.#tail ?? Promise.resolve();
    this.#tail = tail.then(job).catch(() =>
      this.peer.fail(1011, "internal error")
    );
  }

  /** A whole message from the Receiver; `payload` is only valid now. */
  message(opcode: number, payload: Uint8Array, compressed: boolean): void {
    const copy = payload.slice();
    this.after(async () => {
      let data: Uint8Array = copy;
      if (compressed) {
        const inflated = await this.codec.inflate(copy);
        if (!inflated.ok) {
          if (inflated.error === "too big") {
            this.peer.fail(MESSAGE_TOO_BIG, "message too big once inflated");
          } else if (inflated.error === "invalid data") {
            this.peer.fail(INVALID_PAYLOAD, "invalid compressed data");
          }
          return;
        }
        data = inflated.data;
        if (opcode === OPCODE_TEXT && !isValidUtf8(data)) {
          this.peer.fail(INVALID_PAYLOAD, "text is not valid UTF-8");
          return;
        }
      }
      if (!this.peer.isOpen) return;
      if (opcode === OPCODE_TEXT) this.hub.textMessage(this.peer, data);
      else this.hub.message(this.peer, data);
      const echo = this.#echo;
      this.#echo = undefined;
      if (echo !== undefined) await echo;
    });
  }

  /** The hub's echo of the message being handled: deflate, then append. */
  echo(opcode: number, payload: Uint8Array): void {
    this.#echo = this.codec.deflate(payload).then((result) =>
      this.peer.appendEcho(opcode, result.data, result.compressed)
    );
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
