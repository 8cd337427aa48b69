/**
 * Client frames as bytes, for the protocol unit tests: masked by default,
 * with every header field settable so that tests can also build the
 * frames a strict server must refuse. And a handler that records what the
 * receiver reports, with payloads copied (the receiver's views are only
 * valid during the call).
 */

import type { ReceiverHandler } from "../../lib/protocol/receiver.ts";

export interface ClientFrame {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  /** RSV1..RSV3 as the 3 bits 0b100, 0b010, 0b001. */
  rsv?: number;
  masked?: boolean;
  /** The mask key; a fixed, non-trivial one unless given. */
  key?: [number, number, number, number];
  /** Force the 16- or 64-bit length form (non-minimal), or announce another length. */
  lengthForm?: 7 | 16 | 64;
  announcedLength?: number;
  /** The high 32 bits of a 64-bit length (to set the top bit). */
  high?: number;
}

const encoder = new TextEncoder();

export function clientFrame(frame: ClientFrame): Uint8Array {
  const payload = typeof frame.payload === "string"
    ? encoder.encode(frame.payload)
    : frame.payload ?? new Uint8Array(0);
  const masked = frame.masked ?? true;
  const key = frame.key ?? [0x37, 0xfa, 0x21, 0x3d];
  const length = frame.announcedLength ?? payload.length;
  const form = frame.lengthForm ??
    (length < 126 ? 7 : length < 0x10000 ? 16 : 64);
  const header: number[] = [
    ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode,
  ];
  const maskBit = masked ? 0x80 : 0;
  if (form === 7) header.push(maskBit | length);
  else if (form === 16) header.push(maskBit | 126, length >>> 8, length & 0xff);
  else {
    const high = frame.high ?? Math.floor(length / 0x100000000);
    const low = length >>> 0;
    header.push(
      maskBit | 127,
      high >>> 24,
      (high >>> 16) & 0xff,
      (high >>> 8) & 0xff,
      high & 0xff,
      low >>> 24,
      (low >>> 16) & 0xff,
      (low >>> 8) & 0xff,
      low & 0xff,
    );
  }
  if (masked) header.push(...key);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  for (let i = 0; i < payload.length; i++) {
    out[header.length + i] = masked ? payload[i] ^ key[i & 3] : payload[i];
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export type ReceiverEvent =
  | ["message", number, Uint8Array, boolean]
  | ["ping", Uint8Array]
  | ["pong", Uint8Array]
  | ["close", number, Uint8Array]
  | ["failure", number, string];

/** Records every report, payloads copied. */
export class Recorder implements ReceiverHandler {
  events: ReceiverEvent[] = [];
  onMessage(opcode: number, payload: Uint8Array, compressed: boolean): void {
    this.events.push(["message", opcode, payload.slice(), compressed]);
  }
  onPing(payload: Uint8Array): void {
    this.events.push(["ping", payload.slice()]);
  }
  onPong(payload: Uint8Array): void {
    this.events.push(["pong", payload.slice()]);
  }
  onClose(code: number, reason: Uint8Array): void {
    this.events.push(["close", code, reason.slice()]);
  }
  onFailure(code: number, reason: string): void {
    this.events.push(["failure", code, reason]);
  }
}
