/**
 * The payload of a close frame (RFC 6455 §5.5.1, §7.4): reading a client's,
 * building ours. Ours must always be a valid frame, so a reason is cut to
 * 123 bytes (125 minus the code) at a UTF-8 character boundary.
 */

import {
  INVALID_PAYLOAD,
  isSendableCloseCode,
  NO_STATUS_RECEIVED,
  PROTOCOL_ERROR,
} from "../core/close_codes.ts";
import { isValidUtf8 } from "./utf8.ts";

/** 125 bytes of control payload minus the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** A client's close frame, read and checked. */
export type ClosePayload =
  | { ok: true; code: number; reason: Uint8Array }
  | { ok: false; failCode: number; message: string };

const EMPTY = new Uint8Array(0);

/**
 * Reads a received close payload. No payload means "no status" (reported as
 * 1005, never sent back); one byte, or a code no endpoint may send (1005,
 * 1006, 1015, outside 1000–4999, unassigned 1016–2999), is a protocol error;
 * a reason that is not UTF-8 is 1007.
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) {
    return { ok: true, code: NO_STATUS_RECEIVED, reason: EMPTY };
  }
  if (payload.length === 1) {
    return {
      ok: false,
      failCode: PROTOCOL_ERROR,
      message: "close payload of 1 byte",
    };
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isSendableCloseCode(code)) {
    return {
      ok: false,
      failCode: PROTOCOL_ERROR,
      message: `invalid close code ${code}`,
    };
  }
  const reason = payload.subarray(2);
  if (!isValidUtf8(reason)) {
    return {
      ok: false,
      failCode: INVALID_PAYLOAD,
      message: "close reason is not valid UTF-8",
    };
  }
  return { ok: true, code, reason };
}

const encoder = new TextEncoder();

/**
 * The longest prefix of the valid UTF-8 `bytes` that fits `maxBytes` and
 * ends on a character boundary (a view, not a copy).
 */
export function truncateUtf8(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length <= maxBytes) return bytes;
  let cut = maxBytes;
  // Step back over continuation bytes (10xxxxxx): bytes[cut] must start a character.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

/**
 * The payload of a close frame we send: the code, then the reason cut to
 * fit. Throws a RangeError for a code that may not be sent or a reason that
 * is not UTF-8: either is a bug of the caller, never the peer's doing.
 */
export function encodeClosePayload(
  code: number,
  reason: string | Uint8Array = EMPTY,
): Uint8Array {
  if (!isSendableCloseCode(code)) {
    throw new RangeError(`close code ${code} may not be sent`);
  }
  const bytes = typeof reason === "string" ? encoder.encode(reason) : reason;
  if (typeof reason !== "string" && !isValidUtf8(bytes)) {
    throw new RangeError("close reason is not valid UTF-8");
  }
  const cut = truncateUtf8(bytes, MAX_CLOSE_REASON_BYTES);
  const payload = new Uint8Array(2 + cut.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(cut, 2);
  return payload;
}
