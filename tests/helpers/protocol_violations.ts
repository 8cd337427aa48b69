/**
 * The client frames RFC 6455 tells a server to answer with a close code,
 * each with the code it asks for and, where a runtime's built-in engine
 * does something else, what that engine does today. Shared by the
 * conformance suite (every target: the defects are asserted as they are,
 * under "KNOWN DENO DEFECT") and the wsecho engine's suite (the strict
 * twin of every such defect).
 */
import type { RuntimeName } from "./server.ts";
import { closePayload, type Ending, Opcode, type RawClient } from "./raw_ws.ts";

/** "κόσμε" followed by an encoded UTF-16 surrogate (ED A0 80): not UTF-8. */
export const INVALID_UTF8 = new Uint8Array([
  0xce,
  0xba,
  0xe1,
  0xbd,
  0xb9,
  0xcf,
  0x83,
  0xce,
  0xbc,
  0xce,
  0xb5,
  0xed,
  0xa0,
  0x80,
  0x65,
  0x64,
]);

export interface ProtocolViolation {
  name: string;
  /** What the client sends after the handshake. */
  send: (client: RawClient) => Promise<void>;
  /** The close code RFC 6455 asks for. */
  expected: number;
  /** What a runtime does instead, where it gets the case wrong. */
  defects?: Partial<Record<RuntimeName, Defect>>;
}

export interface Defect {
  /** One line on what the runtime does, for the test name. */
  summary: string;
  /** The ending the runtime produces today. */
  ending: Ending;
}

/** A text frame as a server sends it (unmasked, final), as `RawClient.next` reads it. */
export function serverTextFrame(text: string) {
  return {
    fin: true,
    rsv: 0,
    opcode: Opcode.text,
    masked: false,
    payload: new TextEncoder().encode(text),
  };
}

/**
 * Deno's engine fails the connection by dropping TCP, without the close
 * frame RFC 6455 §7.1.7 says a server SHOULD send (upstream issue not
 * found; see README).
 */
const DENO_DROPS_TCP: Defect = {
  summary: "drops TCP without a close frame",
  ending: { tcpClosed: true, dataFrames: [] },
};

export const PROTOCOL_VIOLATIONS: ProtocolViolation[] = [
  {
    name: "invalid UTF-8 in a text frame",
    send: (c) => c.send({ opcode: Opcode.text, payload: INVALID_UTF8 }),
    expected: 1007,
    defects: { deno: DENO_DROPS_TCP },
  },
  {
    name: "invalid UTF-8 split across text fragments",
    send: async (c) => {
      // Each fragment alone could be the start of valid UTF-8 ("a" + the
      // lead byte of a 2-byte sequence); the continuation breaks it.
      await c.send({ opcode: Opcode.text, fin: false, payload: [0x61, 0xce] });
      await c.send({ opcode: Opcode.continuation, payload: [0x41] });
    },
    expected: 1007,
    defects: { deno: DENO_DROPS_TCP },
  },
  {
    name: "an unmasked client frame",
    send: (c) =>
      c.send({ opcode: Opcode.text, payload: "unmasked", masked: false }),
    expected: 1002,
    defects: {
      deno: {
        summary: "echoes it and keeps the connection open",
        ending: {
          tcpClosed: false,
          dataFrames: [serverTextFrame("unmasked")],
        },
      },
    },
  },
  ...[[1, 0b100], [2, 0b010], [3, 0b001]].map((
    [n, rsv],
  ): ProtocolViolation => ({
    name: `reserved bit RSV${n} set`,
    send: (c) => c.send({ opcode: Opcode.text, payload: "rsv", rsv }),
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  })),
  ...[0x3, 0x7, 0xb, 0xf].map((opcode): ProtocolViolation => ({
    name: `reserved opcode 0x${opcode.toString(16)}`,
    send: (c) => c.send({ opcode, payload: "x" }),
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  })),
  {
    name: "a fragmented ping",
    send: (c) => c.send({ opcode: Opcode.ping, fin: false, payload: "p" }),
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  },
  {
    name: "a ping with a 126-byte payload (control frames max 125)",
    send: (c) => c.send({ opcode: Opcode.ping, payload: new Uint8Array(126) }),
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  },
  {
    name: "a continuation frame without a start",
    send: (c) => c.send({ opcode: Opcode.continuation, payload: "orphan" }),
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  },
  {
    name: "a new data frame inside a fragmented message",
    send: async (c) => {
      await c.send({ opcode: Opcode.text, fin: false, payload: "first" });
      await c.send({ opcode: Opcode.binary, payload: "second" });
    },
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  },
  ...[0, 999, 1004, 1005, 1006, 1015, 1100, 2999, 5000].map(
    (code): ProtocolViolation => ({
      name: `close code ${code}`,
      send: (c) =>
        c.send({ opcode: Opcode.close, payload: closePayload(code) }),
      expected: 1002,
    }),
  ),
  {
    name: "a close frame with a 1-byte payload",
    send: (c) => c.send({ opcode: Opcode.close, payload: [0x03] }),
    expected: 1002,
    defects: { deno: DENO_DROPS_TCP },
  },
];
