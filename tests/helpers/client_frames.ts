/**
 * Client frames as bytes, for the protocol unit tests: masked by default,
 * with every header field settable so that tests can also build the
 * frames a strict server must refuse. And a handler that records what the
 * receiver reports, with payloads copied (the receiver's views are only
 * valid during the call).
 */

import {
  type ClientFrameSpec,
  encodeClientFrame,
} from "../../lib/protocol/client_frame.ts";
import type { ReceiverHandler } from "../../lib/protocol/receiver.ts";

/** A client frame; text payloads are sent as their UTF-8 bytes. */
export interface ClientFrame extends Omit<ClientFrameSpec, "payload" | "key"> {
  payload?: Uint8Array | string;
  /** The mask key; a fixed, non-trivial one unless given. */
  key?: [number, number, number, number];
}

const encoder = new TextEncoder();

export function clientFrame(frame: ClientFrame): Uint8Array {
  const payload = typeof frame.payload === "string"
    ? encoder.encode(frame.payload)
    : frame.payload;
  return encodeClientFrame({ ...frame, payload });
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
