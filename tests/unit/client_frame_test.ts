/**
 * The one client frame encoder (lib/protocol/client_frame.ts) that tests
 * and tools share: RFC 6455's own examples, byte for byte, and the length
 * forms and header bits a test may force.
 */
import assert from "node:assert/strict";
import { encodeClientFrame } from "../../lib/protocol/client_frame.ts";

const hello = new TextEncoder().encode("Hello");

Deno.test("RFC 6455 §5.7: a masked 'Hello' with the RFC's key", () => {
  assert.deepEqual(
    [...encodeClientFrame({ opcode: 0x1, payload: hello })],
    [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
  );
});

Deno.test("RFC 6455 §5.7: unmasked, fragmented, and 16/64-bit lengths", () => {
  assert.deepEqual(
    [...encodeClientFrame({ opcode: 0x1, payload: hello, masked: false })],
    [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
  );
  const first = encodeClientFrame({
    opcode: 0x1,
    payload: hello.subarray(0, 3),
    fin: false,
    masked: false,
  });
  assert.deepEqual([...first], [0x01, 0x03, 0x48, 0x65, 0x6c]);
  const k256 = encodeClientFrame({
    opcode: 0x2,
    payload: new Uint8Array(256),
    masked: false,
  });
  assert.deepEqual([...k256.subarray(0, 4)], [0x82, 0x7e, 0x01, 0x00]);
  assert.equal(k256.length, 4 + 256);
  const k64 = encodeClientFrame({
    opcode: 0x2,
    payload: new Uint8Array(65536),
    masked: false,
  });
  assert.deepEqual(
    [...k64.subarray(0, 10)],
    [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0],
  );
});

Deno.test("forced length forms, a lying length, RSV bits and a given key", () => {
  const forced = encodeClientFrame({
    opcode: 0x9,
    payload: hello,
    lengthForm: 64,
    rsv: 0b101,
    key: [0, 0, 0, 0],
    high: 0x80000000,
  });
  assert.deepEqual(
    [...forced],
    [0xd9, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, ...hello],
  );
  const lying = encodeClientFrame({
    opcode: 0x2,
    payload: hello,
    lengthForm: 16,
    announcedLength: 1000,
    masked: false,
  });
  assert.deepEqual([...lying], [0x82, 0x7e, 0x03, 0xe8, ...hello]);
});
