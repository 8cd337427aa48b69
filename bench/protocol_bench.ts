/**
 * Micro-benchmarks of the pure protocol layer (lib/protocol/):
 *
 *   deno bench bench/protocol_bench.ts
 *
 * Unmasking (byte loop, word-wide, DataView), UTF-8 validation (our DFA,
 * WHATWG's decoder as a yardstick), and the echo path per read: parse one
 * read with Receiver.push and append every echo to a FrameBatch, for 16
 * pipelined 32-byte text frames and for one 64 KiB binary frame. Each read
 * is first refreshed from a template (the receiver unmasks in place); the
 * "copy only" rows measure that refresh alone.
 *
 * Measured 2026-12-01, AMD EPYC, Deno 2.9.6, on a shared 2-core machine
 * (averages are noisy; p75 is the steadier figure and is quoted here):
 * - unmask 64 KiB: byte loop 88 µs (1.3 ns/B = 1.4 µs/KiB), word-wide
 *   5.6 µs (86 ns/KiB), DataView 9.0 µs (137 ns/KiB); at 1 KiB 692 / 524 /
 *   614 ns; at 32 B 44 / 31 / 79 ns. Word-wide wins from 32 B on.
 * - UTF-8, 64 KiB ASCII: DFA 7.6 µs (116 ns/KiB), TextDecoder fatal 26.6 µs;
 *   32 B ASCII: 21 ns vs 310 ns. 64 KiB Greek + ASCII: DFA 163 µs,
 *   TextDecoder 47 µs: non-ASCII text walks the table byte by byte.
 * - echo path per read: 16 × 32 B text 1.4 µs (about 90 ns per message:
 *   parse, unmask, validate, append the echo); 1 × 64 KiB binary 7.1 µs;
 *   1 × 64 KiB text 14.7 µs. Copying the read from the template: 21 ns,
 *   0.7–2.8 µs.
 */

import { Receiver } from "../lib/protocol/receiver.ts";
import { FrameBatch } from "../lib/protocol/frame_writer.ts";
import { unmaskBytewise, unmaskInPlace } from "../lib/protocol/mask.ts";
import { isValidUtf8 } from "../lib/protocol/utf8.ts";

const KEY = 0x37fa213d;

function unmaskDataView(data: Uint8Array, key: number): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const words = data.length >>> 2;
  for (let i = 0; i < words << 2; i += 4) {
    view.setUint32(i, view.getUint32(i) ^ key);
  }
  unmaskBytewise(data, words << 2, data.length, KEY, 0);
}

for (const size of [32, 1024, 65536]) {
  const data = new Uint8Array(size).fill(0x61);
  const group = `unmask ${size} B`;
  Deno.bench(`byte loop, ${size} B`, { group, baseline: true }, () => {
    unmaskBytewise(data, 0, size, KEY, 0);
  });
  Deno.bench(`word-wide (unmaskInPlace), ${size} B`, { group }, () => {
    unmaskInPlace(data, 0, size, KEY, 0);
  });
  Deno.bench(`DataView getUint32/setUint32, ${size} B`, { group }, () => {
    unmaskDataView(data, KEY);
  });
}

const fatal = new TextDecoder("utf-8", { fatal: true });
for (
  const [name, text] of [
    ["32 B ASCII", "a".repeat(32)],
    ["64 KiB ASCII", "a".repeat(65536)],
    ["64 KiB mixed (Greek + ASCII)", "κόσμε abc ".repeat(4096)],
  ]
) {
  const bytes = new TextEncoder().encode(text);
  const group = `utf-8 ${name}`;
  Deno.bench(`DFA (isValidUtf8), ${name}`, { group, baseline: true }, () => {
    if (!isValidUtf8(bytes)) throw new Error("invalid");
  });
  Deno.bench(`TextDecoder fatal, ${name}`, { group }, () => {
    fatal.decode(bytes);
  });
}

/** Masked client frames, concatenated: the bytes of one read. */
function clientRead(count: number, size: number, opcode: number): Uint8Array {
  const header = size < 126 ? 6 : size < 65536 ? 8 : 14;
  const out = new Uint8Array(count * (header + size));
  for (let f = 0; f < count; f++) {
    const at = f * (header + size);
    out[at] = 0x80 | opcode;
    if (size < 126) out[at + 1] = 0x80 | size;
    else if (size < 65536) {
      out.set([0x80 | 126, size >> 8, size & 255], at + 1);
    } else {
      out.set([
        0x80 | 127,
        0,
        0,
        0,
        0,
        size >>> 24,
        (size >>> 16) & 255,
        (size >>> 8) & 255,
        size & 255,
      ], at + 1);
    }
    const keyAt = at + header - 4;
    out.set([0x37, 0xfa, 0x21, 0x3d], keyAt);
    for (let i = 0; i < size; i++) {
      out[keyAt + 4 + i] = (0x61 + (i % 26)) ^ out[keyAt + (i & 3)];
    }
  }
  return out;
}

for (
  const [name, count, size, opcode] of [
    ["16 × 32 B text", 16, 32, 1],
    ["1 × 64 KiB binary", 1, 65536, 2],
    ["1 × 64 KiB text", 1, 65536, 1],
  ] as const
) {
  const template = clientRead(count, size, opcode);
  const read = new Uint8Array(template.length);
  const batch = new FrameBatch();
  let echoed = 0;
  const receiver = new Receiver({
    onMessage(op, payload) {
      batch.appendMessage(op, payload);
      echoed++;
    },
    onPing(payload) {
      batch.appendPong(payload);
    },
    onPong() {},
    onClose() {},
    onFailure(code, reason) {
      throw new Error(`${code} ${reason}`);
    },
  }, { maxMessage: 1 << 20 });
  const group = `echo path, ${name} per read`;
  Deno.bench(`copy only, ${name}`, { group, baseline: true }, () => {
    read.set(template);
  });
  Deno.bench(`parse + write, ${name}`, { group }, () => {
    read.set(template);
    receiver.push(read);
    if (batch.length === 0 || echoed === 0) throw new Error("no echo");
    batch.clear();
  });
}

for (const size of [8, 32, 64]) {
  const payload = new Uint8Array(size).fill(1);
  const target = new Uint8Array(1024);
  const group = `copy ${size} B payload`;
  Deno.bench(`byte loop, ${size} B`, { group, baseline: true }, () => {
    for (let i = 0; i < size; i++) target[16 + i] = payload[i];
  });
  Deno.bench(`set(), ${size} B`, { group }, () => {
    target.set(payload, 16);
  });
}
