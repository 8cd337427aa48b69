/**
 * A plain reference parser of client frames, written for clarity rather
 * than speed (whole input at once, one rule after the other): the oracle
 * of the receiver's fuzz test (tests/unit/protocol_fuzz_test.ts) and of the
 * servers' wire fuzz test (tests/e2e/wire_fuzz_test.ts).
 */
import type { ReceiverEvent } from "./client_frames.ts";

const KNOWN = new Set([0, 1, 2, 8, 9, 10]);

/**
 * What a strict receiver reports for `input` (client bytes after the
 * handshake): the messages, pings, pongs and close frame in order, or the
 * same events up to the first violation, ending in ["failure", code, ""].
 * Events stop at an incomplete frame at the end of `input`; a text
 * fragment's UTF-8 is checked as far as it has arrived (fail fast).
 */
export function referenceEvents(
  input: Uint8Array,
  maxMessage: number,
  rsv1Allowed: boolean,
): ReceiverEvent[] {
  const events: ReceiverEvent[] = [];
  const fail = (code: number) => {
    events.push(["failure", code, ""]);
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
    }
    | undefined;
  let pos = 0;
  while (input.length - pos >= 2) {
    const b0 = input[pos], b1 = input[pos + 1];
    const fin = (b0 & 0x80) !== 0, rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 15, masked = (b1 & 0x80) !== 0, len7 = b1 & 127;
    const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) +
      (masked ? 4 : 0);
    if (input.length - pos < size) break;
    const control = opcode >= 8;
    if (!KNOWN.has(opcode)) return fail(1002);
    if (b0 & 0x30) return fail(1002);
    if (rsv1 && (!rsv1Allowed || control || opcode === 0)) return fail(1002);
    if (!masked) return fail(1002);
    if (control && (!fin || len7 > 125)) return fail(1002);
    let length = len7;
    if (len7 === 126) length = input[pos + 2] * 256 + input[pos + 3];
    if (len7 === 127) {
      if (input[pos + 2] & 0x80) return fail(1002);
      length = 0;
      for (let i = 2; i < 10; i++) length = length * 256 + input[pos + i];
    }
    if (!control) {
      if (opcode === 0 && !message) return fail(1002);
      if (opcode !== 0 && message) return fail(1002);
      const compressed = message ? message.compressed : rsv1;
      const sofar = message ? message.bytes.length : 0;
      if (sofar + length > (compressed ? compressedLimit : maxMessage)) {
        return fail(1009);
      }
    }
    const key = input.subarray(pos + size - 4, pos + size);
    const start = pos + size;
    const available = Math.min(length, input.length - start);
    const payload = new Uint8Array(available);
    for (let i = 0; i < available; i++) {
      payload[i] = input[start + i] ^ key[i & 3];
    }
    if (!control) {
      message ??= {
        opcode,
        compressed: rsv1,
        bytes: [],
        decoder: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }),
      };
      if (message.opcode === 1 && !message.compressed) {
        try {
          message.decoder.decode(payload, { stream: true });
        } catch {
          return fail(1007);
        }
      }
    }
    if (available < length) break;
    pos = start + length;
    if (opcode === 9) events.push(["ping", payload]);
    else if (opcode === 10) events.push(["pong", payload]);
    else if (opcode === 8) {
      if (length === 0) events.push(["close", 1005, payload]);
      else if (length === 1) return fail(1002);
      else {
        const code = payload[0] * 256 + payload[1];
        const sendable = (code >= 1000 && code <= 1003) ||
          (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        if (!sendable) return fail(1002);
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(payload.subarray(2));
        } catch {
          return fail(1007);
        }
        events.push(["close", code, payload.slice(2)]);
      }
      return events;
    } else {
      message!.bytes.push(...payload);
      if (fin) {
        if (message!.opcode === 1 && !message!.compressed) {
          try {
            message!.decoder.decode();
          } catch {
            return fail(1007);
          }
        }
        events.push([
          "message",
          message!.opcode,
          new Uint8Array(message!.bytes),
          message!.compressed,
        ]);
        message = undefined;
      }
    }
  }
  return events;
}
