/**
 * Client frames (RFC 6455 §5.2, §5.3) as bytes: masked by default, with
 * every header field settable, so that tests and tools can also build the
 * frames a strict server must refuse (unmasked, reserved bits, a
 * non-minimal or lying length). wsecho never sends one: this is the wire
 * format seen from the other end, kept beside the parser and writer so
 * that there is one encoder of it.
 */

export interface ClientFrameSpec {
  opcode: number;
  payload?: Uint8Array;
  /** FIN bit; true unless fragmenting. */
  fin?: boolean;
  /** RSV1..RSV3 as the 3 bits 0b100, 0b010, 0b001. */
  rsv?: number;
  /** Clients must mask (§5.3); false builds an unmasked frame. */
  masked?: boolean;
  /** The 4 mask bytes; a fixed non-zero key keeps failures reproducible. */
  key?: ArrayLike<number>;
  /** Force the 7-, 16- or 64-bit length form (non-minimal ones too). */
  lengthForm?: 7 | 16 | 64;
  /** Announce another length than the payload's. */
  announcedLength?: number;
  /** The high 32 bits of a 64-bit length (to set the top bit). */
  high?: number;
}

export const DEFAULT_CLIENT_MASK: readonly number[] = [0x37, 0xfa, 0x21, 0x3d];

const EMPTY = new Uint8Array(0);

export function encodeClientFrame(spec: ClientFrameSpec): Uint8Array {
  const payload = spec.payload ?? EMPTY;
  const masked = spec.masked ?? true;
  const key = spec.key ?? DEFAULT_CLIENT_MASK;
  const length = spec.announcedLength ?? payload.length;
  const form = spec.lengthForm ??
    (length < 126 ? 7 : length < 0x10000 ? 16 : 64);
  const lengthBytes = form === 7 ? 0 : form === 16 ? 2 : 8;
  const header = 2 + lengthBytes + (masked ? 4 : 0);
  const out = new Uint8Array(header + payload.length);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) |
    spec.opcode;
  const maskBit = masked ? 0x80 : 0;
  if (form === 7) out[1] = maskBit | length;
  else if (form === 16) {
    out[1] = maskBit | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = maskBit | 127;
    const view = new DataView(out.buffer);
    view.setUint32(2, spec.high ?? Math.floor(length / 0x100000000));
    view.setUint32(6, length >>> 0);
  }
  if (!masked) {
    out.set(payload, header);
    return out;
  }
  for (let j = 0; j < 4; j++) out[header - 4 + j] = key[j];
  for (let i = 0; i < payload.length; i++) {
    out[header + i] = payload[i] ^ key[i & 3];
  }
  return out;
}
