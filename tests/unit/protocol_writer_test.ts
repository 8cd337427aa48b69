import assert from "node:assert/strict";
import {
  encodeClosePayload,
  MAX_CLOSE_REASON_BYTES,
  parseClosePayload,
  truncateUtf8,
} from "../../lib/protocol/close_payload.ts";
import {
  encodeCloseFrame,
  encodeFrame,
  FrameBatch,
  frameHeaderSize,
  writeFrameHeader,
} from "../../lib/protocol/frame_writer.ts";
import { isValidUtf8 } from "../../lib/protocol/utf8.ts";

const enc = new TextEncoder();

Deno.test("server frames: unmasked, FIN, shortest length form at 125/126/65535/65536", () => {
  const cases: [number, number[]][] = [
    [0, [0x82, 0]],
    [125, [0x82, 125]],
    [126, [0x82, 126, 0, 126]],
    [65535, [0x82, 126, 0xff, 0xff]],
    [65536, [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
  ];
  for (const [n, header] of cases) {
    const payload = new Uint8Array(n).fill(9);
    const frame = encodeFrame(2, payload);
    assert.equal(frameHeaderSize(n), header.length);
    assert.deepEqual([...frame.subarray(0, header.length)], header, `n=${n}`);
    assert.deepEqual(frame.subarray(header.length), payload);
  }
  assert.deepEqual([...encodeFrame(1, enc.encode("hi"), true)], [
    0xc1,
    2,
    0x68,
    0x69,
  ]);
  // A length past 2^32 (written, never allocated).
  const header = new Uint8Array(10);
  assert.equal(writeFrameHeader(header, 0, 0x82, 2 ** 33 + 5), 10);
  assert.deepEqual([...header], [0x82, 127, 0, 0, 0, 2, 0, 0, 0, 5]);
  assert.equal(frameHeaderSize(2 ** 33 + 5), 10);
});

Deno.test("the batch puts many frames back to back, grows, and lets a large buffer go", () => {
  const batch = new FrameBatch(64, 1024);
  const expected: number[] = [];
  for (let i = 0; i < 200; i++) {
    const payload = new Uint8Array(i % 50).fill(i);
    batch.appendMessage(i % 2 ? 1 : 2, payload);
    expected.push(...encodeFrame(i % 2 ? 1 : 2, payload));
  }
  batch.appendPing(enc.encode("p"));
  batch.appendPong(new Uint8Array(0));
  batch.appendClose(1000, "bye");
  expected.push(0x89, 1, 0x70, 0x8a, 0, 0x88, 5, 0x03, 0xe8, 0x62, 0x79, 0x65);
  assert.deepEqual([...batch.bytes()], expected);
  assert.equal(batch.length, expected.length);
  batch.clear();
  assert.equal(batch.bytes().length, 0);
  batch.appendMessage(2, new Uint8Array(70000).fill(1));
  assert.equal(batch.length, 70000 + 10);
  batch.clear();
  batch.appendMessage(2, new Uint8Array([5]));
  assert.deepEqual([...batch.bytes()], [0x82, 1, 5]);
  assert.throws(() => batch.appendPing(new Uint8Array(126)), RangeError);
  assert.throws(() => batch.appendClose(1005), RangeError);
  batch.clear();
  batch.appendClose();
  assert.deepEqual([...batch.bytes()], [0x88, 0]);
});

Deno.test("close reasons are cut to 123 bytes at a UTF-8 boundary; the frame stays valid", () => {
  for (const unit of ["a", "é", "€", "😀"]) {
    for (let count = 0; count < 140; count++) {
      const reason = unit.repeat(count);
      const payload = encodeClosePayload(1000, reason);
      assert.ok(payload.length <= 125);
      const cut = payload.subarray(2);
      assert.ok(isValidUtf8(cut), `${unit} x ${count}`);
      const full = enc.encode(reason);
      const fits =
        Math.floor(MAX_CLOSE_REASON_BYTES / enc.encode(unit).length) *
        enc.encode(unit).length;
      assert.equal(
        cut.length,
        Math.min(full.length, fits),
        `${unit} x ${count}`,
      );
      const frame = encodeCloseFrame(4000, reason);
      assert.equal(frame[1], payload.length);
      const parsed = parseClosePayload(frame.subarray(2));
      assert.ok(parsed.ok);
    }
  }
  // Autobahn 7.3.6: a 124-byte reason must not produce a 126-byte close frame.
  assert.equal(encodeCloseFrame(1000, "*".repeat(124))[1], 125);
  assert.deepEqual(truncateUtf8(enc.encode("aé"), 2), enc.encode("a"));
  assert.throws(
    () => encodeClosePayload(1000, new Uint8Array([0xff])),
    RangeError,
  );
  for (const code of [1005, 1006, 1015, 999, 5000, 2000]) {
    assert.throws(() => encodeClosePayload(code), RangeError, String(code));
  }
});
