/**
 * The load client's wire code (bench/ws_wire.ts): handshake checks, client
 * frames, and the streaming reader fed every way a socket may split bytes.
 */
import assert from "node:assert/strict";
import {
  acceptFor,
  checkHandshakeResponse,
  closeFrame,
  FrameReader,
  FrameRing,
  type FrameSink,
  headEnd,
  maskedFrame,
  OPCODE,
  payload,
  sameBytes,
  VARIANTS,
} from "../ws_wire.ts";

/** An unmasked frame as a server sends it. */
function serverFrame(opcode: number, data: Uint8Array, fin = true) {
  const size = data.length;
  const extra = size < 126 ? 0 : size < 65536 ? 2 : 8;
  const frame = new Uint8Array(2 + extra + size);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  const view = new DataView(frame.buffer);
  if (extra === 0) frame[1] = size;
  else if (extra === 2) (frame[1] = 126, view.setUint16(2, size));
  else (frame[1] = 127, view.setBigUint64(2, BigInt(size)));
  frame.set(data, 2 + extra);
  return frame;
}

/** Records what the reader reports, rebuilding each message's bytes. */
class Recorder implements FrameSink {
  messages: Array<{ opcode: number; bytes: Uint8Array }> = [];
  controls: Array<{ opcode: number; bytes: Uint8Array }> = [];
  errors: string[] = [];
  private parts: number[] = [];

  payload(chunk: Uint8Array, start: number, end: number, offset: number) {
    assert.equal(offset, this.parts.length, "offsets are contiguous");
    this.parts.push(...chunk.subarray(start, end));
  }
  message(opcode: number, length: number) {
    assert.equal(length, this.parts.length);
    this.messages.push({ opcode, bytes: Uint8Array.from(this.parts) });
    this.parts = [];
  }
  control(opcode: number, bytes: Uint8Array) {
    this.controls.push({ opcode, bytes: bytes.slice() });
  }
  protocolError(reason: string) {
    this.errors.push(reason);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) (out.set(part, at), at += part.length);
  return out;
}

Deno.test("acceptFor matches the example of RFC 6455 §1.3", () => {
  assert.equal(
    acceptFor("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("checkHandshakeResponse accepts a 101 and names what is wrong", () => {
  const key = "dGhlIHNhbXBsZSBub25jZQ==";
  const good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  assert.equal(checkHandshakeResponse(good, key), undefined);
  assert.match(
    checkHandshakeResponse(good.replace("101", "400"), key)!,
    /status/,
  );
  assert.match(checkHandshakeResponse(good, "other")!, /Accept/);
  assert.match(
    checkHandshakeResponse(good + "\r\nSec-WebSocket-Extensions: x", key)!,
    /extension/,
  );
});

Deno.test("headEnd finds the blank line after the head", () => {
  const bytes = new TextEncoder().encode("HTTP/1.1 101 OK\r\nA: b\r\n\r\nrest");
  assert.equal(headEnd(bytes), bytes.length - 4);
  assert.equal(headEnd(bytes.subarray(0, 20)), -1);
});

Deno.test("maskedFrame encodes all three length forms and masks the payload", () => {
  for (const size of [0, 125, 126, 65535, 65536]) {
    const data = payload(size, 3, false);
    const frame = maskedFrame(OPCODE.binary, data);
    assert.equal(frame[0], 0x82);
    assert.equal(frame[1] & 0x80, 0x80, "masked");
    const extra = size < 126 ? 0 : size < 65536 ? 2 : 8;
    assert.equal(frame.length, 2 + extra + 4 + size);
    const mask = frame.subarray(2 + extra, 6 + extra);
    const unmasked = frame.subarray(6 + extra).map((b, i) => b ^ mask[i & 3]);
    assert.deepEqual(unmasked, data);
  }
  assert.deepEqual([...closeFrame(1000).subarray(0, 2)], [0x88, 0x82]);
});

Deno.test("text payloads are printable ASCII and variants differ at once", () => {
  const variants = Array.from(
    { length: VARIANTS },
    (_, v) => payload(32, v, true),
  );
  for (const bytes of variants) {
    assert.ok(bytes.every((b) => b >= 33 && b < 127));
  }
  assert.equal(new Set(variants.map((b) => b[0])).size, VARIANTS);
});

Deno.test("FrameRing slices are runs of consecutive variants", () => {
  const ring = new FrameRing(10, true, 4);
  const slice = ring.slice(5, 4);
  assert.equal(slice.length, 4 * ring.frameLength);
  for (let i = 0; i < 4; i++) {
    const expected = maskedFrame(
      OPCODE.text,
      ring.payloads[(5 + i) % VARIANTS],
    );
    assert.deepEqual(
      slice.subarray(i * ring.frameLength, (i + 1) * ring.frameLength),
      expected,
    );
  }
});

Deno.test("FrameReader reassembles messages however the stream is split", () => {
  const sizes = [0, 1, 125, 126, 65535, 65536, 70_000];
  const texts = sizes.map((size, i) => payload(size, i, true));
  const ping = new Uint8Array([1, 2, 3]);
  const stream = concat([
    ...texts.map((t) => serverFrame(OPCODE.text, t)),
    // A fragmented binary message with a ping in the middle.
    serverFrame(OPCODE.binary, payload(300, 1, false), false),
    serverFrame(OPCODE.ping, ping),
    serverFrame(OPCODE.continuation, payload(5, 2, false)),
  ]);
  for (const piece of [1, 2, 3, 7, 13, 100, 4096, stream.length]) {
    const recorder = new Recorder();
    const reader = new FrameReader(recorder);
    for (let at = 0; at < stream.length; at += piece) {
      reader.feed(stream.subarray(at, at + piece));
    }
    assert.deepEqual(recorder.errors, [], `piece ${piece}`);
    assert.equal(recorder.messages.length, sizes.length + 1);
    texts.forEach((text, i) => {
      assert.equal(recorder.messages[i].opcode, OPCODE.text);
      assert.deepEqual(
        recorder.messages[i].bytes,
        text,
        `message ${i}, piece ${piece}`,
      );
    });
    const last = recorder.messages.at(-1)!;
    assert.equal(last.opcode, OPCODE.binary);
    assert.deepEqual(
      last.bytes,
      concat([payload(300, 1, false), payload(5, 2, false)]),
    );
    assert.deepEqual(recorder.controls, [{ opcode: OPCODE.ping, bytes: ping }]);
  }
});

Deno.test("FrameReader reports a masked server frame and stops", () => {
  const recorder = new Recorder();
  new FrameReader(recorder).feed(maskedFrame(OPCODE.text, payload(4, 0, true)));
  assert.equal(recorder.errors.length, 1);
  assert.equal(recorder.messages.length, 0);
});

Deno.test("sameBytes compares short and long runs at offsets", () => {
  const a = payload(1000, 0, false);
  const b = new Uint8Array(1200);
  b.set(a, 200);
  assert.ok(sameBytes(b, 200, 1200, a, 0));
  assert.ok(sameBytes(b, 210, 230, a, 10));
  assert.ok(!sameBytes(b, 199, 1199, a, 0));
  assert.ok(!sameBytes(b, 200, 1200, a, 1), "runs past the end of b differ");
});
