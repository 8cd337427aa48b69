import assert from "node:assert/strict";
import {
  readMaskKey,
  unmaskBytewise,
  unmaskInPlace,
  WORD_UNMASK_THRESHOLD,
} from "../../lib/protocol/mask.ts";

Deno.test("word-wide unmasking equals the byte loop at every offset, length and phase", () => {
  const key = readMaskKey(new Uint8Array([0x9a, 0x01, 0xff, 0x42]), 0);
  assert.equal(key, 0x9a01ff42);
  const source = new Uint8Array(300).map((_, i) => (i * 73 + 11) & 255);
  for (
    const length of [
      0,
      1,
      3,
      WORD_UNMASK_THRESHOLD - 1,
      WORD_UNMASK_THRESHOLD,
      33,
      64,
      65,
      127,
      255,
    ]
  ) {
    for (let offset = 0; offset < 5; offset++) {
      for (let phase = 0; phase < 4; phase++) {
        const a = source.slice();
        const b = source.slice();
        unmaskInPlace(a, offset, offset + length, key, phase);
        unmaskBytewise(b, offset, offset + length, key, phase);
        assert.deepEqual(
          a,
          b,
          `length ${length} offset ${offset} phase ${phase}`,
        );
      }
    }
  }
});

Deno.test("unmasking a view of a larger buffer touches only the view's range", () => {
  const backing = new Uint8Array(200).fill(0x55);
  const view = backing.subarray(3, 150);
  unmaskInPlace(view, 10, 120, 0xffffffff, 1);
  assert.ok(backing.subarray(0, 13).every((b) => b === 0x55));
  assert.ok(backing.subarray(13, 123).every((b) => b === 0xaa));
  assert.ok(backing.subarray(123).every((b) => b === 0x55));
});

Deno.test("the byte loop follows RFC 6455 §5.3: byte i XOR key[(i + phase) % 4]", () => {
  const data = new Uint8Array(8);
  unmaskBytewise(data, 0, 8, 0x01020304, 2);
  assert.deepEqual(data, new Uint8Array([3, 4, 1, 2, 3, 4, 1, 2]));
});
