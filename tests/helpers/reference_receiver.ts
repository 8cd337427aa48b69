/**
 * A plain reference parser of client frames, written for clarity rather
 * than speed (whole input at once, one rule after the other): the oracle
 * of the receiver's fuzz test (tests/unit/protocol_fuzz_test.ts) and of the
 * servers' wire fuzz test (tests/e2e/wire_fuzz_test.ts).
 */
import zlib from "node:zlib";
import { concat, type ReceiverEvent } from "./client_frames.ts";

const KNOWN = new Set([0, 1, 2, 8, 9, 10]);

/**
 * Where a runtime's built-in engine is known to be less strict than RFC
 * 6455 asks (each one measured; see tests/e2e/wire_fuzz_test.ts), so that
 * the same oracle says exactly what that engine does. Leave all unset for
 * the strict receiver.
 */
export interface Leniency {
  /** Unmasked client frames are taken as they are (Deno). */
  acceptUnmasked?: boolean;
  /**
   * A text message's UTF-8 is checked only once the whole message is in,
   * not as its bytes arrive (Bun).
   */
  utf8PerMessage?: boolean;
  /**
   * A new text or binary frame without FIN inside a fragmented message
   * silently replaces the unfinished message instead of failing with 1002;
   * one with FIN still fails (Deno).
   */
  restartFragmented?: boolean;
  /**
   * `maxMessage` is checked by wsecho's glue once a message is whole (the
   * engine reads any frame under this cap whole first; over it, it fails
   * at the header). Such a late failure reads
   * {@linkcode OVER_LIMIT_ONCE_WHOLE}; the glue's close frame goes out
   * and the engine reads on, then ends TCP without a word at the next
   * thing the client completes (a control frame, a whole message, a
   * violation), reported after the failure. Deno: 64 MiB.
   */
  limitOnceWhole?: { engineCap: number };
  /**
   * A data frame is judged (continuation rules, UTF-8) only once it is
   * whole, not at its header and as its bytes arrive (Deno, which reads
   * every frame whole first).
   */
  dataFramesJudgedWhole?: boolean;
  /**
   * A fragmented text message that ends inside a UTF-8 sequence is
   * delivered without that sequence's bytes instead of failing (Deno).
   */
  dropsUnfinishedUtf8?: boolean;
  /** A close reason's UTF-8 is checked before its code (Deno). */
  closeReasonBeforeCode?: boolean;
  /**
   * A 64-bit length with its top bit set is taken as a length too big:
   * 1009, after the continuation rules (Bun).
   */
  topBitIsTooBig?: boolean;
  /**
   * A continuation frame is held to `maxMessage` by the bytes of the
   * message that have arrived, not by the length its header announces:
   * 1009 once they pass the limit (Bun).
   */
  continuationLimitAsArrived?: boolean;
}

/**
 * permessage-deflate as negotiated (RFC 7692): with it, a compressed
 * message (RSV1 on its first frame) is reported inflated, and fails with
 * 1009 when it inflates past `maxMessage` or 1007 when it is not DEFLATE
 * data or not UTF-8 text once inflated. `contextTakeover: false` is
 * client_no_context_takeover: each message is inflated on its own.
 */
export interface ReferenceDeflate {
  contextTakeover: boolean;
}

/** RFC 7692 §7.2.2: what the receiver appends to a message's data. */
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/**
 * Inflates the compressed messages of one direction of one connection, in
 * order, as a receiver with one zlib stream per connection does: with
 * context takeover, each as the continuation of every compressed message
 * before it (each with its trailer), so that its back-references reach
 * into theirs. Written with the synchronous node:zlib call on the whole
 * stream so far, not with a stream: no shortcut shared with the engine's
 * own inflater. Used for the server's replies too.
 */
export class ReferenceInflater {
  readonly #history: Uint8Array[] = [];
  #historyOutput = 0;

  constructor(readonly contextTakeover: boolean) {}

  /** One message's data (its frames' payloads, trailer stripped). */
  inflate(
    data: Uint8Array,
    maxMessage: number,
  ): { ok: true; data: Uint8Array } | { ok: false; code: number; why: string } {
    try {
      const out = zlib.inflateRawSync(concat(...this.#history, data, TRAILER), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: this.#historyOutput + Math.max(1, maxMessage),
      });
      const message = new Uint8Array(out.subarray(this.#historyOutput));
      if (message.length > maxMessage) {
        return { ok: false, code: 1009, why: "too big once inflated" };
      }
      if (this.contextTakeover) {
        this.#history.push(data, TRAILER);
        this.#historyOutput += message.length;
      }
      return { ok: true, data: message };
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
        return { ok: false, code: 1009, why: "too big once inflated" };
      }
      return { ok: false, code: 1007, why: "invalid compressed data" };
    }
  }
}

/** The failure reason of a message found over the limit once whole. */
export const OVER_LIMIT_ONCE_WHOLE = "over the limit once whole";

/**
 * What a strict receiver reports for `input` (client bytes after the
 * handshake): the messages, pings, pongs and close frame in order, or the
 * same events up to the first violation, ending in ["failure", code,
 * what was wrong]. Events stop at an incomplete frame at the end of
 * `input`; a text fragment's UTF-8 is checked as far as it has arrived
 * (fail fast). `leniency` turns it into a model of a less strict engine.
 */
export function referenceEvents(
  input: Uint8Array,
  maxMessage: number,
  rsv1Allowed: boolean,
  leniency: Leniency = {},
  deflate?: ReferenceDeflate,
): ReceiverEvent[] {
  const events: ReceiverEvent[] = [];
  const inflater = deflate && new ReferenceInflater(deflate.contextTakeover);
  const fail = (code: number, reason: string) => {
    events.push(["failure", code, reason]);
    return events;
  };
  const compressedLimit = maxMessage + Math.floor(maxMessage / 4096) +
    Math.floor(maxMessage / 16384) + Math.floor(maxMessage / 33554432) + 13;
  let message:
    | {
      opcode: number;
      compressed: boolean;
      bytes: number[];
      decoder: TextDecoder;
      fragmented: boolean;
    }
    | undefined;
  /** After the glue's late 1009: the next event ends TCP. */
  let closing = false;
  const report = (event: ReceiverEvent) => events.push(event);
  let pos = 0;
  while (input.length - pos >= 2) {
    if (closing && events.at(-1)![0] !== "failure") return events;
    const b0 = input[pos], b1 = input[pos + 1];
    const fin = (b0 & 0x80) !== 0, rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 15, masked = (b1 & 0x80) !== 0, len7 = b1 & 127;
    const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) +
      (masked ? 4 : 0);
    if (input.length - pos < size) break;
    const control = opcode >= 8;
    if (!KNOWN.has(opcode)) return fail(1002, "reserved opcode");
    if (b0 & 0x30) return fail(1002, "RSV2/RSV3 set");
    if (rsv1 && (!rsv1Allowed || control || opcode === 0)) {
      return fail(1002, "RSV1 not allowed");
    }
    if (!masked && !leniency.acceptUnmasked) {
      return fail(1002, "unmasked frame");
    }
    if (control && (!fin || len7 > 125)) return fail(1002, "bad control frame");
    let length = len7;
    if (len7 === 126) length = input[pos + 2] * 256 + input[pos + 3];
    if (len7 === 127) {
      // Taken as too big, it fails below, after the continuation rules.
      if (input[pos + 2] & 0x80 && !leniency.topBitIsTooBig) {
        return fail(1002, "64-bit length with the top bit set");
      }
      length = 0;
      for (let i = 2; i < 10; i++) length = length * 256 + input[pos + i];
    }
    const whole = input.length - (pos + size) >= length;
    if (!control) {
      if (
        leniency.limitOnceWhole && length >= leniency.limitOnceWhole.engineCap
      ) {
        return fail(1009, "over the engine's cap");
      }
      if (leniency.dataFramesJudgedWhole && !whole) break;
      if (opcode === 0 && !message) {
        return fail(1002, "continuation without a start");
      }
      if (opcode !== 0 && message) {
        if (fin || !leniency.restartFragmented) {
          return fail(1002, "new message inside a fragmented one");
        }
        message = undefined;
      }
      const compressed = message ? message.compressed : rsv1;
      const sofar = message ? message.bytes.length : 0;
      if (
        !leniency.limitOnceWhole &&
        !(leniency.continuationLimitAsArrived && opcode === 0) &&
        sofar + length > (compressed ? compressedLimit : maxMessage)
      ) {
        return fail(1009, "message too big");
      }
    }
    const key = masked
      ? input.subarray(pos + size - 4, pos + size)
      : new Uint8Array(4);
    const start = pos + size;
    const available = Math.min(length, input.length - start);
    const payload = new Uint8Array(available);
    for (let i = 0; i < available; i++) {
      payload[i] = input[start + i] ^ key[i & 3];
    }
    if (
      leniency.continuationLimitAsArrived && opcode === 0 &&
      message!.bytes.length + available > maxMessage
    ) {
      return fail(1009, "message too big");
    }
    if (!control) {
      message ??= {
        opcode,
        compressed: rsv1,
        bytes: [],
        decoder: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }),
        fragmented: !fin,
      };
      if (
        message.opcode === 1 && !message.compressed && !leniency.utf8PerMessage
      ) {
        try {
          message.decoder.decode(payload, { stream: true });
        } catch {
          return fail(1007, "invalid UTF-8");
        }
      }
    }
    if (available < length) break;
    pos = start + length;
    if (opcode === 9) report(["ping", payload]);
    else if (opcode === 10) report(["pong", payload]);
    else if (opcode === 8) {
      if (length === 0) events.push(["close", 1005, payload]);
      else if (length === 1) return fail(1002, "1-byte close payload");
      else {
        const code = payload[0] * 256 + payload[1];
        const sendable = (code >= 1000 && code <= 1003) ||
          (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        const reasonIsUtf8 = isUtf8(payload.subarray(2));
        if (!reasonIsUtf8 && leniency.closeReasonBeforeCode) {
          return fail(1007, "invalid UTF-8 in close reason");
        }
        if (!sendable) return fail(1002, "invalid close code");
        if (!reasonIsUtf8) return fail(1007, "invalid UTF-8 in close reason");
        events.push(["close", code, payload.slice(2)]);
      }
      return events;
    } else {
      message!.bytes.push(...payload);
      if (fin) {
        if (message!.opcode === 1 && !message!.compressed) {
          try {
            if (leniency.utf8PerMessage) {
              message!.decoder.decode(new Uint8Array(message!.bytes));
            } else message!.decoder.decode();
          } catch {
            // Fed in stream mode, the decoder fails at the end only for an
            // unfinished sequence: its lead byte and what followed it.
            if (!(leniency.dropsUnfinishedUtf8 && message!.fragmented)) {
              return fail(1007, "invalid UTF-8");
            }
            const bytes = message!.bytes;
            while ((bytes.at(-1)! & 0xc0) === 0x80) bytes.pop();
            bytes.pop();
          }
        }
        let delivered: Uint8Array = new Uint8Array(message!.bytes);
        if (message!.compressed && inflater) {
          const inflated = inflater.inflate(delivered, maxMessage);
          if (!inflated.ok) return fail(inflated.code, inflated.why);
          delivered = inflated.data;
          if (message!.opcode === 1 && !isUtf8(delivered)) {
            return fail(1007, "inflated text is not UTF-8");
          }
        }
        if (leniency.limitOnceWhole && message!.bytes.length > maxMessage) {
          events.push(["failure", 1009, OVER_LIMIT_ONCE_WHOLE]);
          closing = true;
          message = undefined;
          continue;
        }
        report([
          "message",
          message!.opcode,
          delivered,
          message!.compressed,
        ]);
        message = undefined;
      }
    }
  }
  return events;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
