/**
 * Flow control for one connection of the wsecho engine: what is waiting to
 * be written, and the one write under way. Every byte the connection sends
 * goes through here (HTTP responses, the 101, a 408, frames), so two
 * writers can never interleave their bytes on one socket.
 *
 * Frames are appended to `batch`; `flush()` writes them out in one write
 * (looping over partial writes) and resolves when the kernel has taken
 * them all. While a write is under way, new frames go to a second batch,
 * so a FrameBatch is never appended to while its bytes are being written.
 *
 * Backpressure is the read loop's: it does not read the client's next
 * bytes until the echoes of the last read are written, so a client that
 * stops reading stops being read, its messages stay in the kernel, and
 * what we hold is bounded by one read's echoes plus the few control frames
 * queued behind them (a ping, a close), which `--max-buffered` caps.
 */
import { FrameBatch } from "../../protocol/frame_writer.ts";
import type { EngineSocket } from "./socket.ts";

const DONE: Promise<void> = Promise.resolve();

export class Outbound {
  #pending = new FrameBatch();
  /** Made on the first write: a connection that never echoes needs one. */
  #inflight: FrameBatch | undefined;
  #writing: Promise<void> | undefined;
  /** Counts partial writes; the sweep tells a stuck write by it not moving. */
  progress = 0;

  constructor(private readonly socket: EngineSocket) {}

  /** Where frames go; swapped when a write begins, so read it each time. */
  get batch(): FrameBatch {
    return this.#pending;
  }

  /** Whether a write is under way (the kernel has not taken it all yet). */
  get writing(): boolean {
    return this.#writing !== undefined;
  }

  /** Bytes appended but not yet handed to a write. */
  get queued(): number {
    return this.#pending.length;
  }

  /**
   * Writes everything appended so far, and whatever is appended while that
   * write runs. Rejects when the connection fails.
   */
  flush(): Promise<void> {
    if (this.#writing !== undefined) return this.#writing;
    if (this.#pending.length === 0) return DONE;
    return this.#writing = this.#drain();
  }

  /**
   * Writes `bytes` as they are (an HTTP response), after everything
   * appended or under way before; resolves once the kernel took them all.
   */
  send(bytes: Uint8Array): Promise<void> {
    if (this.#writing !== undefined || this.#pending.length > 0) {
      return this.flush().then(() => this.send(bytes));
    }
    return this.#writing = this.#drain(bytes);
  }

  /** Lets both buffers go: an idle connection holds none. */
  release(): void {
    if (this.#writing !== undefined) return;
    this.#pending.release();
    this.#inflight?.release();
  }

  /** Writes `raw` (if any), then batch after batch until none is left. */
  async #drain(raw?: Uint8Array): Promise<void> {
    const socket = this.socket;
    try {
      while (raw !== undefined || this.#pending.length > 0) {
        let batch: FrameBatch | undefined;
        let bytes: Uint8Array;
        if (raw !== undefined) {
          bytes = raw;
          raw = undefined;
        } else {
          batch = this.#pending;
          this.#pending = this.#inflight ?? new FrameBatch();
          this.#inflight = batch;
          bytes = batch.bytes();
        }
        let at = 0;
        while (at < bytes.length) {
          at += await socket.write(at === 0 ? bytes : bytes.subarray(at));
          this.progress++;
        }
        batch?.clear();
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
