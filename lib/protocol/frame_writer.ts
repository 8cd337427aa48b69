/**
 * Server frames (RFC 6455 §5.2): never masked, always FIN here (an echo
 * server sends each message as one frame). The batch collects every frame
 * one read produces so that they leave in one write: on pipelined small
 * messages the write call, not the framing, is the cost.
 */

import { encodeClosePayload } from "./close_payload.ts";
import {
  MAX_CONTROL_PAYLOAD,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
} from "./opcodes.ts";

const FIN = 0x80;
const EMPTY = new Uint8Array(0);
const RSV1 = 0x40;

/** Header bytes of an unmasked frame of `payloadLength`: 2, 4 or 10. */
export function frameHeaderSize(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10;
}

/**
 * Writes an unmasked header at `offset` with the 7-, 16- or 64-bit length
 * form (the shortest, as RFC 6455 §5.2 requires) and returns where the
 * payload goes.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  firstByte: number,
  payloadLength: number,
): number {
  target[offset] = firstByte;
  if (payloadLength < 126) {
    target[offset + 1] = payloadLength;
    return offset + 2;
  }
  if (payloadLength < 0x10000) {
    target[offset + 1] = 126;
    target[offset + 2] = payloadLength >>> 8;
    target[offset + 3] = payloadLength & 0xff;
    return offset + 4;
  }
  const high = Math.floor(payloadLength / 0x100000000);
  const low = payloadLength >>> 0;
  target[offset + 1] = 127;
  target[offset + 2] = high >>> 24;
  target[offset + 3] = (high >>> 16) & 0xff;
  target[offset + 4] = (high >>> 8) & 0xff;
  target[offset + 5] = high & 0xff;
  target[offset + 6] = low >>> 24;
  target[offset + 7] = (low >>> 16) & 0xff;
  target[offset + 8] = (low >>> 8) & 0xff;
  target[offset + 9] = low & 0xff;
  return offset + 10;
}

/** The first header byte of a final frame. */
export function firstByteOf(opcode: number, compressed = false): number {
  return FIN | (compressed ? RSV1 : 0) | opcode;
}

/** One whole frame in a new buffer, for a lone send (a close, a ping). */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  compressed = false,
): Uint8Array {
  const frame = new Uint8Array(
    frameHeaderSize(payload.length) + payload.length,
  );
  frame.set(
    payload,
    writeFrameHeader(frame, 0, firstByteOf(opcode, compressed), payload.length),
  );
  return frame;
}

/** A close frame with `code` and a reason cut to fit at a UTF-8 boundary. */
export function encodeCloseFrame(
  code: number,
  reason: string | Uint8Array = "",
): Uint8Array {
  return encodeFrame(OPCODE_CLOSE, encodeClosePayload(code, reason));
}

/**
 * Default first capacity: a 32 B echo and a close reply fit, 16 pipelined
 * 32 B echoes (608 B) grow it once. It was 4 KiB: a connection that
 * echoes once and closes (bench's handshake workload) allocated two of
 * them, and `#reserve` was 2.6 % of the server's busy time there.
 */
const INITIAL_CAPACITY = 512;
/**
 * After a write, a buffer that grew past this is dropped rather than kept:
 * a connection should not hold on to the memory of its largest echo. It is
 * above 64 KiB + header so that a stream of 64 KiB echoes reuses one buffer
 * (dropping it each time made "parse + write, 1 × 64 KiB" in
 * bench/protocol_bench.ts several times slower, from allocation and GC).
 */
const RETAIN_CAPACITY = 128 * 1024;

/**
 * Appends frames into one growing buffer. The owner writes `bytes()` out
 * and calls `clear()` once that write has finished; frames must not be
 * appended while a write of `bytes()` is still in progress.
 */
export class FrameBatch {
  #buffer: Uint8Array | undefined;
  #length = 0;
  readonly #initialCapacity: number;
  readonly #retainCapacity: number;

  constructor(
    initialCapacity = INITIAL_CAPACITY,
    retainCapacity = RETAIN_CAPACITY,
  ) {
    this.#initialCapacity = initialCapacity;
    this.#retainCapacity = retainCapacity;
  }

  /** Bytes appended since the last clear(). */
  get length(): number {
    return this.#length;
  }

  /** A data frame (text or binary, RSV1 set if `compressed`). */
  appendMessage(opcode: number, payload: Uint8Array, compressed = false): void {
    this.#append(firstByteOf(opcode, compressed), payload);
  }

  appendPing(payload: Uint8Array): void {
    this.#appendControl(OPCODE_PING, payload);
  }

  appendPong(payload: Uint8Array): void {
    this.#appendControl(OPCODE_PONG, payload);
  }

  /**
   * A close frame with `code` and a reason cut to fit; without a code, an
   * empty close frame (the answer to a client's close that had no code,
   * reported as 1005, which may not be sent).
   */
  appendClose(code?: number, reason: string | Uint8Array = ""): void {
    this.#append(
      firstByteOf(OPCODE_CLOSE),
      code === undefined ? EMPTY : encodeClosePayload(code, reason),
    );
  }

  /** The frames appended so far: a view into the batch, valid until clear(). */
  bytes(): Uint8Array {
    return this.#buffer === undefined
      ? new Uint8Array(0)
      : this.#buffer.subarray(0, this.#length);
  }

  /** Empties the batch once its bytes are written; may let a large buffer go. */
  clear(): void {
    this.#length = 0;
    if (
      this.#buffer !== undefined && this.#buffer.length > this.#retainCapacity
    ) {
      this.#buffer = undefined;
    }
  }

  /** Lets the buffer go (an idle connection); the next append makes a new one. */
  release(): void {
    this.#length = 0;
    this.#buffer = undefined;
  }

  #appendControl(opcode: number, payload: Uint8Array): void {
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(
        `control payload of ${payload.length} bytes exceeds ${MAX_CONTROL_PAYLOAD}`,
      );
    }
    this.#append(firstByteOf(opcode), payload);
  }

  #append(firstByte: number, payload: Uint8Array): void {
    const size = frameHeaderSize(payload.length) + payload.length;
    const buffer = this.#reserve(size);
    const at = writeFrameHeader(
      buffer,
      this.#length,
      firstByte,
      payload.length,
    );
    // Tiny payloads: a byte loop beats set()'s call overhead (8 B: 19 vs
    // 29 ns; at 32 B set() wins, 30 vs 42 ns; bench/protocol_bench.ts).
    if (payload.length <= 16) {
      for (let i = 0; i < payload.length; i++) buffer[at + i] = payload[i];
    } else {
      buffer.set(payload, at);
    }
    this.#length += size;
  }

  #reserve(size: number): Uint8Array {
    const needed = this.#length + size;
    let buffer = this.#buffer;
    if (buffer === undefined) {
      buffer = new Uint8Array(Math.max(this.#initialCapacity, needed));
      this.#buffer = buffer;
    } else if (needed > buffer.length) {
      // Double, so that n appends cost O(n) copying in total.
      const grown = new Uint8Array(Math.max(buffer.length * 2, needed));
      grown.set(buffer.subarray(0, this.#length));
      buffer = grown;
      this.#buffer = buffer;
    }
    return buffer;
  }
}
