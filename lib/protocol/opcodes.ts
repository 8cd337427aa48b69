/**
 * WebSocket opcodes and frame-size constants (RFC 6455 §5.2, §5.5). Kept
 * apart so that the parser, the writer and the engine agree on one
 * spelling.
 */

/** A later frame of a fragmented message. */
export const OPCODE_CONTINUATION = 0x0;
/** A text message (UTF-8). */
export const OPCODE_TEXT = 0x1;
/** A binary message. */
export const OPCODE_BINARY = 0x2;
/** Start of the closing handshake. */
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** The opcode of a whole message: only these two are ever handed out. */
export type DataOpcode = typeof OPCODE_TEXT | typeof OPCODE_BINARY;

/** Control frames carry at most 125 payload bytes (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** The largest header a client frame can have: 2 + 8 (64-bit length) + 4 (mask). */
export const MAX_CLIENT_HEADER = 14;

/** Close, ping and pong; every opcode from 0x8 up is a control opcode. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** The six opcodes RFC 6455 defines; 3–7 and 0xB–0xF are reserved. */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= OPCODE_BINARY ||
    (opcode >= OPCODE_CLOSE && opcode <= OPCODE_PONG);
}
