/**
 * Client-to-server masking (RFC 6455 §5.3), undone in place.
 *
 * The key is passed as one number: the four mask bytes read big-endian, so
 * that mask byte `j` is `(key >>> (24 - 8 * j)) & 0xff`. `phase` is how many
 * payload bytes of the frame came before `start` (only `phase % 4` matters):
 * a frame split across reads is unmasked piece by piece as it arrives.
 *
 * Long runs are XORed 32 bits at a time through a Uint32Array over the
 * 4-byte-aligned middle; creating that view costs about as much as a few
 * byte steps, so very short payloads take the byte loop. Measured with
 * `deno bench bench/protocol_bench.ts` (p75, figures in that file's header):
 * 64 KiB in 5.6 µs word-wide against 88 µs byte by byte (86 vs 1,340
 * ns/KiB), a DataView loop 9.0 µs; at 32 B 31 vs 44 ns.
 *
 * No WebAssembly SIMD version: at 86 ns/KiB unmasking is already far below
 * the cost of the read and write of the same bytes; not measured.
 */

/** From this many bytes on the word path is used (it wins at 32 B already). */
export const WORD_UNMASK_THRESHOLD = 32;

/** Uint32Array reads bytes in platform order; the word path needs to know it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** XORs `data[start..end)` with the mask, in place. */
export function unmaskInPlace(
  data: Uint8Array,
  start: number,
  end: number,
  key: number,
  phase: number,
): void {
  let p = phase & 3;
  let i = start;
  if (end - start >= WORD_UNMASK_THRESHOLD) {
    const base = data.byteOffset;
    // Head: byte steps until the absolute offset is a multiple of 4.
    while (((base + i) & 3) !== 0) {
      data[i++] ^= key >>> (24 - (p << 3));
      p = (p + 1) & 3;
    }
    const words = (end - i) >>> 2;
    // The mask word starting at phase p, as the platform reads 4 bytes.
    const rotated = p === 0
      ? key
      : (key << (p << 3)) | (key >>> (32 - (p << 3)));
    const word = LITTLE_ENDIAN ? byteSwap(rotated) : rotated | 0;
    const view = new Uint32Array(data.buffer, base + i, words);
    for (let w = 0; w < words; w++) view[w] ^= word;
    i += words << 2;
    // A whole number of words keeps the phase; the tail continues from p.
  }
  for (; i < end; i++) {
    data[i] ^= key >>> (24 - (p << 3));
    p = (p + 1) & 3;
  }
}

/** The reference: one byte at a time. Kept for tests and the benchmark. */
export function unmaskBytewise(
  data: Uint8Array,
  start: number,
  end: number,
  key: number,
  phase: number,
): void {
  let p = phase & 3;
  for (let i = start; i < end; i++) {
    data[i] ^= key >>> (24 - (p << 3));
    p = (p + 1) & 3;
  }
}

/** Reads the 4 mask bytes at `offset` as the key number the functions above take. */
export function readMaskKey(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) |
    (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function byteSwap(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) |
    (x >>> 24);
}
