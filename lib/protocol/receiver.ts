/**
 * The incremental frame parser of one connection (RFC 6455 §5–§7), strict
 * as a server must be. The engine feeds it every read; it handles all
 * complete frames of that read in one pass and calls the handler for each
 * message, ping, pong and close, or once for the first protocol violation.
 *
 * Copies are avoided where the bytes allow it:
 * - a frame wholly inside the read is unmasked in place and handed out as a
 *   subarray of the read buffer;
 * - a frame split across reads is copied into a buffer that starts small and
 *   grows with the bytes that actually arrive (see GROWTH; never beyond the
 *   announced length, which was checked against the limit first), unmasked
 *   and validated piece by piece;
 * - fragments of one message are gathered into one buffer that grows the
 *   same way, never beyond the limit.
 *
 * The announced length is a promise the client may never keep: allocating
 * it at once let 2,000 clients that each announce 16 MiB and send 1 KiB
 * reserve 32 GiB (ws and gorilla grow with the bytes received, too).
 *
 * Payloads handed to the handler are valid only during the call: the read
 * buffer and the gathering buffer are reused. A handler that keeps one must
 * copy it (the echo path copies it into the outgoing FrameBatch anyway).
 */

import {
  INVALID_PAYLOAD,
  MESSAGE_TOO_BIG,
  PROTOCOL_ERROR,
} from "../core/close_codes.ts";
import { parseClosePayload } from "./close_payload.ts";
import { readMaskKey, unmaskInPlace } from "./mask.ts";
import {
  type DataOpcode,
  isControlOpcode,
  isKnownOpcode,
  MAX_CLIENT_HEADER,
  MAX_CONTROL_PAYLOAD,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_TEXT,
} from "./opcodes.ts";
import { UTF8_ACCEPT, UTF8_REJECT, utf8Step } from "./utf8.ts";

/** What the receiver reports; called synchronously from push(). */
export interface ReceiverHandler {
  /**
   * A whole data message. Text that is not `compressed` has been validated
   * as UTF-8; compressed messages (RSV1, an extension's) are handed out
   * as received, for the extension to decode and check.
   */
  onMessage(opcode: DataOpcode, payload: Uint8Array, compressed: boolean): void;
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /**
   * The client's close frame, checked: a sendable code, or 1005 when the
   * frame had no payload; `reason` is valid UTF-8. Nothing after it is read.
   */
  onClose(code: number, reason: Uint8Array): void;
  /**
   * The first violation: `code` (1002, 1007 or 1009) and a reason of at
   * most 123 ASCII bytes, both ready for our close frame. Nothing after it
   * is read.
   */
  onFailure(code: number, reason: string): void;
}

export interface ReceiverOptions {
  /** The largest message accepted, in payload bytes (`--max-message`). */
  maxMessage: number;
  /**
   * Whether an extension (permessage-deflate) was negotiated that gives
   * RSV1 a meaning: then RSV1 is allowed on the first frame of a data
   * message, never on continuation or control frames.
   */
  rsv1Allowed?: boolean;
}

/**
 * The most bytes a deflated message of `maxMessage` inflated bytes can take
 * on the wire (zlib's deflateBound): compressed input is capped here, the
 * inflated size against `maxMessage` by the codec.
 */
export function compressedSizeLimit(maxMessage: number): number {
  return maxMessage + Math.floor(maxMessage / 4096) +
    Math.floor(maxMessage / 16384) + Math.floor(maxMessage / 33554432) + 13;
}

/** First size of a gathering buffer, unless the first piece is larger. */
const FIRST_GATHER_CAPACITY = 1024;

/**
 * First size of the buffer of a frame split across reads (unless the frame
 * is smaller, or more of it is already here). A large binary message read
 * by the engine typically comes as a small read (256 B) then 64 KiB reads:
 * the second read then grows it straight to the announced length, so the
 * only extra copy is of the first read's few bytes.
 */
const FIRST_SPLIT_CAPACITY = 4 * 1024;

/**
 * A buffer that must grow gets room for this many times what it will then
 * hold (all of it arrived), or the whole announced length once that is
 * within twice as much: a client never makes us hold more than 32× what
 * it sent (or the first size). Large enough that a message that does
 * arrive is not copied again and again: with the engine's reads (256 B,
 * then 64 KiB), a 64 KiB or 1 MiB frame gets its whole length on its
 * second read, so the only extra copy is of the first read's few bytes.
 * Measured (the Receiver alone, CPU ms for 2,000 × 64 KiB and 150 × 1 MiB
 * frames in 64 KiB reads, alternating with the Receiver that allocated
 * the announced length at once, on a machine loaded by other work):
 * 47–69 / 72–102 against 54–72 / 61–95; growing 2× from the old size
 * instead cost 89 / 200 against 68 / 144.
 */
const GROWTH = 16;

export class Receiver {
  readonly #handler: ReceiverHandler;
  readonly #maxMessage: number;
  readonly #maxCompressed: number;
  readonly #rsv1Allowed: boolean;
  #done = false;

  // The frame being read.
  /** Header bytes buffered when a header is split across reads. */
  #header: Uint8Array | undefined;
  #headerHave = 0;
  #inPayload = false;
  #opcode = 0;
  #fin = false;
  #rsv1 = false;
  #key = 0;
  #frameLength = 0;
  #frameReceived = 0;
  /**
   * Where a split frame's payload goes, from #targetOffset on (for a
   * fragment, the gathering buffer); grown by #room() as bytes arrive.
   */
  #target: Uint8Array | undefined;
  #targetOffset = 0;
  /** Whether #target is the gathering buffer (a data frame of a fragmented message). */
  #intoGather = false;
  /** Whether the frame's payload runs through the UTF-8 validator. */
  #validate = false;

  // The fragmented message in progress (opcode 0: none).
  #messageOpcode = 0;
  #messageCompressed = false;
  #gather: Uint8Array | undefined;
  #messageLength = 0;
  /** UTF-8 state across the frames and reads of one text message. */
  #utf8 = UTF8_ACCEPT;

  constructor(handler: ReceiverHandler, options: ReceiverOptions) {
    this.#handler = handler;
    this.#maxMessage = options.maxMessage;
    this.#maxCompressed = compressedSizeLimit(options.maxMessage);
    this.#rsv1Allowed = options.rsv1Allowed ?? false;
  }

  /** True once a close frame or a violation was reported, or stop() called. */
  get finished(): boolean {
    return this.#done;
  }

  /**
   * Bytes of buffers this receiver holds across reads (a split header, a
   * split frame, a fragmented message): what a stalled client costs.
   */
  get bufferedCapacity(): number {
    const target = this.#target;
    const gather = this.#gather;
    return (this.#header?.length ?? 0) + (target?.length ?? 0) +
      (gather !== undefined && gather !== target ? gather.length : 0);
  }

  /** Ignores everything from now on (e.g. the engine is closing for its own reason). */
  stop(): void {
    this.#done = true;
    this.#release();
  }

  /**
   * Parses one read. Payloads of frames wholly inside `chunk` are unmasked
   * in place, so `chunk` is modified.
   */
  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end && !this.#done) {
      if (this.#inPayload) {
        pos = this.#continuePayload(chunk, pos, end);
        continue;
      }
      if (this.#headerHave === 0) {
        const size = headerSize(chunk, pos, end);
        if (size !== 0 && end - pos >= size) {
          this.#readHeader(chunk, pos);
          pos += size;
          if (!this.#done) pos = this.#startPayload(chunk, pos, end);
          continue;
        }
        // Fewer bytes than the header needs (so fewer than 14): keep them.
        const header = this.#header ??= new Uint8Array(MAX_CLIENT_HEADER);
        header.set(chunk.subarray(pos, end));
        this.#headerHave = end - pos;
        return;
      }
      pos = this.#continueHeader(chunk, pos, end);
    }
  }

  /** Adds bytes to a split header; parses it once whole. */
  #continueHeader(chunk: Uint8Array, pos: number, end: number): number {
    const header = this.#header!;
    if (this.#headerHave < 2) header[this.#headerHave++] = chunk[pos++];
    if (this.#headerHave < 2) return pos;
    const size = headerSize(header, 0, 2);
    const take = Math.min(size - this.#headerHave, end - pos);
    header.set(chunk.subarray(pos, pos + take), this.#headerHave);
    this.#headerHave += take;
    pos += take;
    if (this.#headerHave < size) return pos;
    this.#headerHave = 0;
    this.#readHeader(header, 0);
    return this.#done ? end : this.#startPayload(chunk, pos, end);
  }

  /** Reads and checks a whole header at `at`; reports the first violation. */
  #readHeader(bytes: Uint8Array, at: number): void {
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const len7 = b1 & 0x7f;
    if (!isKnownOpcode(opcode)) {
      return this.#fail(PROTOCOL_ERROR, `reserved opcode ${opcode}`);
    }
    if ((b0 & 0x30) !== 0) {
      return this.#fail(PROTOCOL_ERROR, "RSV2/RSV3 set without an extension");
    }
    const control = isControlOpcode(opcode);
    if (
      rsv1 &&
      (!this.#rsv1Allowed || control || opcode === OPCODE_CONTINUATION)
    ) {
      return this.#fail(
        PROTOCOL_ERROR,
        this.#rsv1Allowed
          ? "RSV1 set on a control or continuation frame"
          : "RSV1 set without an extension",
      );
    }
    if ((b1 & 0x80) === 0) {
      return this.#fail(PROTOCOL_ERROR, "client frame is not masked");
    }
    if (control) {
      if (!fin) return this.#fail(PROTOCOL_ERROR, "fragmented control frame");
      if (len7 > MAX_CONTROL_PAYLOAD) {
        return this.#fail(PROTOCOL_ERROR, "control frame over 125 bytes");
      }
    }
    let length = len7;
    let keyAt = at + 2;
    if (len7 === 126) {
      length = (bytes[at + 2] << 8) | bytes[at + 3];
      keyAt = at + 4;
    } else if (len7 === 127) {
      const high = readMaskKey(bytes, at + 2);
      if (high >= 0x80000000) {
        return this.#fail(PROTOCOL_ERROR, "64-bit length with the top bit set");
      }
      // Exact up to 2^53; beyond that only the comparison with the limit matters.
      length = high * 0x100000000 + readMaskKey(bytes, at + 6);
      keyAt = at + 10;
    }
    if (!control) {
      if (opcode === OPCODE_CONTINUATION) {
        if (this.#messageOpcode === 0) {
          return this.#fail(PROTOCOL_ERROR, "continuation without a message");
        }
      } else if (this.#messageOpcode !== 0) {
        return this.#fail(
          PROTOCOL_ERROR,
          "new message inside a fragmented message",
        );
      }
      const compressed = opcode === OPCODE_CONTINUATION
        ? this.#messageCompressed
        : rsv1;
      const limit = compressed ? this.#maxCompressed : this.#maxMessage;
      if (this.#messageLength + length > limit) {
        return this.#fail(
          MESSAGE_TOO_BIG,
          `message over ${limit} bytes${compressed ? " compressed" : ""}`,
        );
      }
      if (opcode !== OPCODE_CONTINUATION && !fin) {
        // The first frame of a fragmented message.
        this.#messageOpcode = opcode;
        this.#messageCompressed = rsv1;
        this.#utf8 = UTF8_ACCEPT;
      }
      this.#validate = !compressed &&
        (opcode === OPCODE_TEXT ||
          (opcode === OPCODE_CONTINUATION &&
            this.#messageOpcode === OPCODE_TEXT));
    } else {
      this.#validate = false;
    }
    this.#opcode = opcode;
    this.#fin = fin;
    this.#key = readMaskKey(bytes, keyAt);
    this.#frameLength = length;
    this.#frameReceived = 0;
    this.#rsv1 = rsv1;
  }

  /** After a header: the whole payload in this read, or the start of a split one. */
  #startPayload(chunk: Uint8Array, pos: number, end: number): number {
    const length = this.#frameLength;
    const fragment = !isControlOpcode(this.#opcode) &&
      this.#messageOpcode !== 0;
    if (!fragment && end - pos >= length) {
      // The common case: unmask in place and hand out a view of the read.
      const stop = pos + length;
      unmaskInPlace(chunk, pos, stop, this.#key, 0);
      if (
        this.#validate &&
        utf8Step(UTF8_ACCEPT, chunk, pos, stop) !== UTF8_ACCEPT
      ) {
        this.#fail(INVALID_PAYLOAD, "text is not valid UTF-8");
        return end;
      }
      this.#deliverFrame(chunk.subarray(pos, stop));
      return stop;
    }
    // A fragment goes on in the gathering buffer; a split single-frame
    // message or control frame gets a buffer of its own on its first bytes.
    this.#intoGather = fragment;
    this.#target = fragment ? this.#gather : undefined;
    this.#targetOffset = fragment ? this.#messageLength : 0;
    this.#inPayload = true;
    return this.#continuePayload(chunk, pos, end);
  }

  /** Copies, unmasks and validates the next piece of a split or gathered frame. */
  #continuePayload(chunk: Uint8Array, pos: number, end: number): number {
    const n = Math.min(this.#frameLength - this.#frameReceived, end - pos);
    const at = this.#targetOffset + this.#frameReceived;
    // Nothing arrived yet (a header at the end of the read): no buffer yet.
    if (n === 0 && this.#frameReceived < this.#frameLength) return pos;
    const target = this.#room(at, at + n);
    if (n > 0) {
      target.set(chunk.subarray(pos, pos + n), at);
      unmaskInPlace(target, at, at + n, this.#key, this.#frameReceived);
      if (this.#validate) {
        // Fail fast: the first bad byte ends the connection, even mid-frame.
        this.#utf8 = utf8Step(this.#utf8, target, at, at + n);
        if (this.#utf8 === UTF8_REJECT) {
          this.#fail(INVALID_PAYLOAD, "text is not valid UTF-8");
          return end;
        }
      }
      this.#frameReceived += n;
    }
    if (this.#frameReceived < this.#frameLength) return pos + n;
    this.#inPayload = false;
    this.#target = undefined;
    const start = this.#targetOffset;
    this.#deliverFrame(target.subarray(start, start + this.#frameLength));
    return pos + n;
  }

  /** A whole frame's payload, unmasked (and UTF-8 checked so far). */
  #deliverFrame(payload: Uint8Array): void {
    const opcode = this.#opcode;
    if (isControlOpcode(opcode)) {
      if (opcode === OPCODE_PING) {
        this.#handler.onPing(payload);
      } else if (opcode === OPCODE_CLOSE) {
        const close = parseClosePayload(payload);
        if (!close.ok) return this.#fail(close.failCode, close.message);
        this.#done = true;
        this.#release();
        this.#handler.onClose(close.code, close.reason);
      } else {
        this.#handler.onPong(payload);
      }
      return;
    }
    if (this.#messageOpcode === 0) {
      // A message of one frame. Whole in the read, it was validated before
      // this call; split, piece by piece, so it must end between characters.
      // (Outside a split text frame #utf8 is always UTF8_ACCEPT.)
      if (this.#validate && this.#utf8 !== UTF8_ACCEPT) {
        return this.#fail(INVALID_PAYLOAD, "text ends inside a character");
      }
      this.#handler.onMessage(opcode as DataOpcode, payload, this.#rsv1);
      return;
    }
    this.#messageLength += this.#frameLength;
    if (!this.#fin) return;
    const messageOpcode = this.#messageOpcode as DataOpcode;
    const compressed = this.#messageCompressed;
    this.#messageOpcode = 0;
    this.#messageCompressed = false;
    if (this.#validate && this.#utf8 !== UTF8_ACCEPT) {
      return this.#fail(INVALID_PAYLOAD, "text ends inside a character");
    }
    const message = this.#gather!.subarray(0, this.#messageLength);
    this.#messageLength = 0;
    // The next message gets a new buffer: an idle connection keeps none.
    this.#gather = undefined;
    this.#handler.onMessage(messageOpcode, message, compressed);
  }

  /**
   * The target with room up to `need`, its first `used` bytes kept: grown
   * geometrically with what arrived, never beyond what the frame (and the
   * message before it) announced. Also the gathering buffer of a fragment.
   */
  #room(used: number, need: number): Uint8Array {
    const target = this.#target;
    if (target !== undefined && target.length >= need) return target;
    const fragment = this.#intoGather;
    const announced = this.#targetOffset + this.#frameLength;
    const first = fragment ? FIRST_GATHER_CAPACITY : FIRST_SPLIT_CAPACITY;
    const wanted = Math.max(first, need * GROWTH);
    // Close to the announced length: all of it, rather than one more
    // growth (and copy) near the end of the frame.
    const capacity = wanted * 2 >= announced ? announced : wanted;
    const grown = new Uint8Array(capacity);
    if (target !== undefined && used > 0) {
      grown.set(target.subarray(0, used));
    }
    this.#target = grown;
    if (fragment) this.#gather = grown;
    return grown;
  }

  #fail(code: number, reason: string): void {
    this.#done = true;
    this.#release();
    this.#handler.onFailure(code, reason);
  }

  #release(): void {
    this.#header = undefined;
    this.#target = undefined;
    this.#gather = undefined;
  }
}

/**
 * The size of the header starting at `pos` (2 to 14 bytes, from the length
 * form and the mask bit), or 0 if fewer than 2 bytes are there to tell.
 */
function headerSize(bytes: Uint8Array, pos: number, end: number): number {
  if (end - pos < 2) return 0;
  const b1 = bytes[pos + 1];
  const len7 = b1 & 0x7f;
  return 2 + (len7 < 126 ? 0 : len7 === 126 ? 2 : 8) + ((b1 & 0x80) >>> 5);
}
