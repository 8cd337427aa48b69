/**
 * The permessage-deflate codec of one connection (RFC 7692 §7.2), server
 * side, over node:zlib (the same on Deno and Bun). Pure: no sockets, no
 * runtime APIs.
 *
 * - `inflate` turns the payload of a message whose first frame had RSV1
 *   into its plain bytes, stopping as soon as the output passes the
 *   message limit (a compression bomb is never inflated whole).
 * - `deflate` compresses an outgoing message, or says to send it plain.
 * - Neither ever throws nor rejects: zlib errors become results.
 * - Calls of one direction complete strictly in the order they were made
 *   (each direction has its own queue); the two directions are independent.
 *
 * Two ways to run zlib, chosen per direction by the negotiated context rule:
 *
 * - With context takeover, a long-lived zlib stream (createInflateRaw /
 *   createDeflateRaw) holds the LZ77 window between messages. node:zlib
 *   streams are asynchronous, hence the queue. (Measured on Deno 2.9: the
 *   stream work runs on the JavaScript thread anyway, ~7–8 µs per small
 *   message; on Bun it goes to a thread pool, ~40 µs per message round
 *   trip.)
 * - Without context takeover nothing needs keeping between messages, so
 *   each message is a one-shot synchronous call (inflateRawSync with
 *   `maxOutputLength`, deflateRawSync with Z_SYNC_FLUSH): no zlib memory at
 *   all on an idle connection, for ~10–35 µs per small message on Deno
 *   (a fresh zlib state each time).
 *
 * Memory per connection, measured with bench/deflate_memory.ts (1,000
 * codecs, one 2 KiB message each way, Deno 2.9.6, RSS growth / 1,000, GC
 * forced, 2 runs on a shared 2-core machine):
 *
 *     context takeover, 15-bit windows (default)   275–278 KiB
 *     context takeover, 12-bit windows              217–220 KiB
 *     context takeover, 9-bit windows               203–205 KiB
 *     server_no_context_takeover (15 bits)           66–69 KiB
 *     no_context_takeover both ways                  41–43 KiB
 *
 * The deflate state dominates (zlib: window 2×, prev, head and the pending
 * buffer at memLevel 8 ≈ 256 KiB, little of it tied to windowBits); the
 * inflate state is ~7 KiB plus its window (32 KiB at 15 bits). The last
 * row holds no zlib state at all between messages: its 41 KiB is the
 * allocator's high-water mark from the one-shot calls, which does not grow
 * with the number of connections (one codec, 8,000 one-shot pairs: RSS
 * +30 MiB once, then flat). RSS is not returned after close() (the
 * allocator keeps freed pages), so "freed" shows as reuse, not as a drop.
 */
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import {
  type DeflateParams,
  MIN_ZLIB_DEFLATE_WINDOW_BITS,
} from "./deflate_negotiation.ts";

const { Z_SYNC_FLUSH, Z_DEFAULT_COMPRESSION } = zlib.constants;

/** RFC 7692 §7.2.1: what a sender strips and a receiver appends back. */
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

export type InflateResult =
  | { ok: true; data: Uint8Array }
  /** The inflated message passed the limit: close with 1009. */
  | { ok: false; error: "too big" }
  /**
   * Not valid DEFLATE data: the engine closes with 1007, as websockets/ws
   * does (the message's data is not consistent with its type, RFC 6455
   * §7.4.1).
   */
  | { ok: false; error: "invalid data"; detail: string }
  /** The codec was closed. */
  | { ok: false; error: "closed" };

export interface DeflateResult {
  /** The bytes to send: compressed (set RSV1) or the message itself. */
  data: Uint8Array;
  /** Whether `data` is compressed, i.e. whether to set RSV1. */
  compressed: boolean;
}

export interface DeflateCodecOptions {
  /** Largest inflated message in bytes; past it `inflate` says "too big". */
  maxMessage: number;
  /**
   * Messages shorter than this many bytes are sent plain (RSV1 clear),
   * which RFC 7692 §6 allows per message. See DEFAULT_DEFLATE_THRESHOLD.
   */
  threshold?: number;
  /** zlib level for outgoing messages, 0–9; default zlib's own (6). */
  level?: number;
  /** zlib memLevel for outgoing messages, 1–9; default 8. */
  memLevel?: number;
}

/**
 * Below this a message goes out plain. Measured (bench/deflate_memory.ts):
 * JSON-like text under ~64 bytes barely shrinks (a 32-byte message
 * compresses to ~30), yet costs a zlib call each way.
 */
export const DEFAULT_DEFLATE_THRESHOLD = 64;

/** One direction's queue: each job starts when the previous one settled. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** Whether `bytes` ends with the four trailer bytes. */
function endsWithTrailer(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[n - 4] === 0 && bytes[n - 3] === 0 &&
    bytes[n - 2] === 0xff && bytes[n - 1] === 0xff;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string"
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

/** Input to `inflate`: one buffer, or the frames' payloads in order. */
export type CompressedPayload = Uint8Array | readonly Uint8Array[];

export class DeflateCodec {
  readonly params: Readonly<DeflateParams>;
  private readonly maxMessage: number;
  private readonly threshold: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly inflateQueue = new Queue();
  private readonly deflateQueue = new Queue();
  /** The long-lived inflater (client context takeover only). */
  private inflater: zlib.InflateRaw | null = null;
  /** The long-lived deflater (server context takeover only). */
  private deflater: zlib.DeflateRaw | null = null;
  private closed = false;
  /**
   * Bytes zlib produced while inflating, including output discarded past
   * the limit by the streaming path: how a test (or a metric) sees that a
   * bomb was stopped early. (The one-shot path stops inside node:zlib,
   * which throws at the first output chunk past `maxOutputLength`; only
   * what it returned is counted.)
   */
  inflatedBytes = 0;
  /** Settles the streaming call under way, if any, when the codec closes. */
  private abortInflate: (() => void) | null = null;
  private abortDeflate: (() => void) | null = null;

  constructor(params: Readonly<DeflateParams>, options: DeflateCodecOptions) {
    this.params = { ...params };
    this.maxMessage = options.maxMessage;
    this.threshold = options.threshold ?? DEFAULT_DEFLATE_THRESHOLD;
    this.level = options.level ?? Z_DEFAULT_COMPRESSION;
    this.memLevel = options.memLevel ?? 8;
  }

  /** The window the inflater needs: zlib handles 8 as 9 (see negotiation). */
  private get inflateWindowBits(): number {
    return Math.max(
      MIN_ZLIB_DEFLATE_WINDOW_BITS,
      this.params.clientMaxWindowBits,
    );
  }

  private get deflateWindowBits(): number {
    return Math.max(
      MIN_ZLIB_DEFLATE_WINDOW_BITS,
      this.params.serverMaxWindowBits,
    );
  }

  /**
   * The plain bytes of a compressed message (its frames' payloads,
   * unmasked, in order). Never rejects.
   */
  inflate(payload: CompressedPayload): Promise<InflateResult> {
    const chunks = payload instanceof Uint8Array ? [payload] : [...payload];
    return this.inflateQueue.run(() => {
      if (this.closed) return Promise.resolve({ ok: false, error: "closed" });
      return this.params.clientNoContextTakeover
        ? Promise.resolve(this.inflateOneShot(chunks))
        : this.inflateStreaming(chunks);
    });
  }

  private inflateOneShot(chunks: Uint8Array[]): InflateResult {
    const input = Buffer.concat([...chunks, TRAILER]);
    try {
      const out = zlib.inflateRawSync(input, {
        windowBits: this.inflateWindowBits,
        finishFlush: Z_SYNC_FLUSH,
        // zlib stops at the first output chunk past this (measured: 100 MiB
        // of zeros against 1 MiB throws after ~4 ms, not ~600).
        maxOutputLength: Math.max(1, this.maxMessage),
      });
      this.inflatedBytes += out.length;
      if (out.length > this.maxMessage) return { ok: false, error: "too big" };
      return { ok: true, data: out };
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
        return { ok: false, error: "too big" };
      }
      return { ok: false, error: "invalid data", detail: errorText(error) };
    }
  }

  private inflateStreaming(chunks: Uint8Array[]): Promise<InflateResult> {
    let inflater: zlib.InflateRaw;
    try {
      inflater = this.inflater ??= quiet(zlib.createInflateRaw({
        windowBits: this.inflateWindowBits,
      }));
    } catch (error) {
      return Promise.resolve({
        ok: false,
        error: "invalid data",
        detail: errorText(error),
      });
    }
    return new Promise<InflateResult>((resolve) => {
      const output: Uint8Array[] = [];
      let total = 0;
      let settled = false;
      const finish = (result: InflateResult) => {
        if (settled) return;
        settled = true;
        this.abortInflate = null;
        inflater.off("data", onData);
        inflater.off("error", onError);
        resolve(result);
      };
      const discard = () => {
        // The stream is useless now (failed, ended or stopped mid-message):
        // free it; a later message gets a fresh one.
        if (this.inflater === inflater) this.inflater = null;
        inflater.close();
      };
      const onData = (chunk: Uint8Array) => {
        total += chunk.length;
        this.inflatedBytes += chunk.length;
        if (total > this.maxMessage) {
          // Stop at once: closing the stream ends zlib's work on the rest
          // of the input (measured: 1.02 MiB produced of a 100 MiB bomb).
          discard();
          finish({ ok: false, error: "too big" });
          return;
        }
        output.push(chunk);
      };
      const onError = (error: unknown) => {
        // node:zlib closes the stream itself on an error.
        if (this.inflater === inflater) this.inflater = null;
        finish({ ok: false, error: "invalid data", detail: errorText(error) });
      };
      this.abortInflate = () => finish({ ok: false, error: "closed" });
      inflater.on("data", onData);
      inflater.on("error", onError);
      try {
        for (const chunk of chunks) inflater.write(chunk);
        inflater.write(TRAILER);
        inflater.flush(Z_SYNC_FLUSH, () => {
          if (settled) return;
          // Deno calls back before it emits "error" (Node and Bun never
          // call back on an error), with the error already recorded.
          if (inflater.errored) return onError(inflater.errored);
          // A message ending with a final block (BFINAL, §7.2.3.3 allows
          // it) ends the zlib stream: the next message needs a fresh one.
          if (inflater.readableEnded || inflater.destroyed) discard();
          finish({ ok: true, data: concat(output, total) });
        });
      } catch (error) {
        discard();
        finish({ ok: false, error: "invalid data", detail: errorText(error) });
      }
    });
  }

  /**
   * What to send for an outgoing message: compressed, or plain when it is
   * below the threshold, the codec is closed, or zlib failed (sending plain
   * is always allowed, RFC 7692 §6). Never rejects.
   */
  deflate(message: Uint8Array): Promise<DeflateResult> {
    if (message.length < this.threshold) {
      return Promise.resolve({ data: message, compressed: false });
    }
    return this.deflateQueue.run(() => {
      if (this.closed) {
        return Promise.resolve({ data: message, compressed: false });
      }
      return this.params.serverNoContextTakeover
        ? Promise.resolve(this.deflateOneShot(message))
        : this.deflateStreaming(message);
    });
  }

  private deflateOneShot(message: Uint8Array): DeflateResult {
    try {
      const out = zlib.deflateRawSync(message, {
        windowBits: this.deflateWindowBits,
        level: this.level,
        memLevel: this.memLevel,
        finishFlush: Z_SYNC_FLUSH,
      });
      return stripTrailer(out, message);
    } catch {
      return { data: message, compressed: false };
    }
  }

  private deflateStreaming(message: Uint8Array): Promise<DeflateResult> {
    let deflater: zlib.DeflateRaw;
    try {
      deflater = this.deflater ??= quiet(zlib.createDeflateRaw({
        windowBits: this.deflateWindowBits,
        level: this.level,
        memLevel: this.memLevel,
      }));
    } catch {
      return Promise.resolve({ data: message, compressed: false });
    }
    return new Promise<DeflateResult>((resolve) => {
      const output: Uint8Array[] = [];
      let total = 0;
      let settled = false;
      const finish = (result: DeflateResult) => {
        if (settled) return;
        settled = true;
        this.abortDeflate = null;
        deflater.off("data", onData);
        deflater.off("error", onError);
        resolve(result);
      };
      const onData = (chunk: Uint8Array) => {
        output.push(chunk);
        total += chunk.length;
      };
      const onError = () => {
        // Plain is always valid; the next message starts a fresh context
        // (the client's window may hold more history: harmless).
        if (this.deflater === deflater) this.deflater = null;
        finish({ data: message, compressed: false });
      };
      this.abortDeflate = () => finish({ data: message, compressed: false });
      deflater.on("data", onData);
      deflater.on("error", onError);
      try {
        deflater.write(message);
        deflater.flush(Z_SYNC_FLUSH, () => {
          if (deflater.errored) return onError();
          finish(stripTrailer(concat(output, total), message));
        });
      } catch {
        onError();
      }
    });
  }

  /**
   * Frees zlib's memory. Pending calls settle ("closed", or plain); later
   * calls too. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A closed stream's pending flush may never call back (websockets/ws
    // notes it of older node:zlib), so pending calls are settled here.
    this.abortInflate?.();
    this.abortDeflate?.();
    for (const stream of [this.inflater, this.deflater]) {
      if (stream === null) continue;
      stream.close();
    }
    this.inflater = null;
    this.deflater = null;
  }
}

/**
 * Gives a stream an "error" listener for its whole life: node:zlib may emit
 * an error after the call that caused it has settled (Deno emits it after
 * the flush callback), and an unheard "error" event would throw out of the
 * event loop and end the process.
 */
function quiet<T extends zlib.InflateRaw | zlib.DeflateRaw>(stream: T): T {
  stream.on("error", () => {});
  return stream;
}

/** §7.2.1: drop the 00 00 ff ff that Z_SYNC_FLUSH ends with. */
function stripTrailer(out: Uint8Array, message: Uint8Array): DeflateResult {
  if (!endsWithTrailer(out)) return { data: message, compressed: false };
  return { data: out.subarray(0, out.length - 4), compressed: true };
}
