/**
 * Helpers for message payloads and byte counts: the UTF-8 length of text,
 * hex for binary, and byte sizes as people write them (`16MiB`).
 */
import { Buffer } from "node:buffer";

/** A received message: text as a string, binary as bytes (never a Blob). */
export type Payload = string | ArrayBuffer | Uint8Array;

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

/**
 * UTF-8 length of a string without encoding it. Lone surrogates count as
 * the 3 bytes of U+FFFD, as `TextEncoder` would send them.
 *
 * Native on both runtimes: a JavaScript loop over the characters cost
 * ~1.6 ns per character on Bun, so a 64 KiB text message spent ~100 µs
 * here, longer than echoing it took (wsecho ran at half the bare speed).
 * On Deno the native call allocates some bytes per call (V8's GC trace
 * shows it), yet a loop was twice as slow even for 32 characters; Bun
 * tells the size for free, so this runs there only in rare cases.
 */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Lowercase hex of `bytes`, two digits a byte, joined by `separator`:
 * `hex(b)` reads like `xxd -p` on one line, `hex(b, " ")` like `00 ff 10`.
 */
export function hex(bytes: Uint8Array, separator = ""): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(
    separator,
  );
}

/**
 * The bytes that `text` spells in hex, the inverse of {@linkcode hex}: two
 * digits a byte, either case, with any whitespace between bytes ignored
 * (`fffe`, `FF FE`, `ff fe\r`). `undefined` when it is not hex (an odd
 * digit count, a character that is no hex digit, whitespace inside a byte).
 */
export function parseHex(text: string): Uint8Array | undefined {
  const bytes = text.trim().split(/\s+/).filter((part) => part !== "");
  const digits = bytes.join("");
  if (bytes.some((part) => part.length % 2 !== 0)) return undefined;
  if (!/^[0-9a-fA-F]*$/.test(digits)) return undefined;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * A byte count as the command line takes it: the largest binary unit that
 * divides it, e.g. `16MiB`, `64KiB`, `1GiB`, else plain bytes (`1000`).
 */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

const BINARY_UNITS: readonly (readonly [string, number])[] = [
  ["GiB", GIB],
  ["MiB", MIB],
  ["KiB", KIB],
];
