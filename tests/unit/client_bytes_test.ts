/**
 * The console client's byte handling without sockets: hex in, lines of
 * bytes from a stream, and the --file verdict.
 */
import assert from "node:assert/strict";
import { hex, parseHex } from "../../lib/core/payload.ts";
import { byteLines } from "../../lib/client/client_input.ts";
import { compareEcho } from "../../lib/client/client.ts";

Deno.test("parseHex: the inverse of hex, whitespace between bytes allowed", () => {
  assert.deepEqual(parseHex("fffe"), new Uint8Array([0xff, 0xfe]));
  assert.deepEqual(parseHex(" FF fe\r"), new Uint8Array([0xff, 0xfe]));
  assert.deepEqual(parseHex(""), new Uint8Array());
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(parseHex(hex(all)), all);
  for (const bad of ["f", "f f", "0x00", "gg", "ff-fe"]) {
    assert.equal(parseHex(bad), undefined, bad);
  }
});

async function* chunks(...parts: number[][]) {
  for (const part of parts) yield new Uint8Array(part);
}

async function lines(...parts: number[][]): Promise<number[][]> {
  const out: number[][] = [];
  for await (const line of byteLines(chunks(...parts))) out.push([...line]);
  return out;
}

Deno.test("byteLines: splits at LF across chunks, bytes untouched", async () => {
  assert.deepEqual(await lines([0xff, 0xfe, 0x0a]), [[0xff, 0xfe]]);
  assert.deepEqual(await lines([0x61, 0x0d], [0x0a, 0x62]), [[0x61, 0x0d], [
    0x62,
  ]]);
  assert.deepEqual(await lines([0x0a, 0x0a]), [[], []]);
  assert.deepEqual(await lines([0x61], [0x62], [0x63, 0x0a]), [[
    0x61,
    0x62,
    0x63,
  ]]);
  assert.deepEqual(await lines(), []);
});

Deno.test("compareEcho: match, length, first differing byte, text", () => {
  const sent = new Uint8Array([1, 2, 3]);
  assert.equal(
    compareEcho(sent, new Uint8Array([1, 2, 3])),
    "echo matches: 3 bytes",
  );
  assert.equal(
    compareEcho(sent, new Uint8Array([1, 9, 3])),
    "echo differs: sent 3 bytes, got 3; first difference at byte 1",
  );
  assert.equal(
    compareEcho(sent, new Uint8Array([1, 2])),
    "echo differs: sent 3 bytes, got 2; first difference at byte 2",
  );
  assert.equal(
    compareEcho(sent, "\x01\x02\x03"),
    "echo differs: sent 3 bytes as binary, got text (3 bytes)",
  );
});
