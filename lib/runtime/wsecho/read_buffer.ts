/**
 * The read buffer of one wsecho connection: small while the connection is
 * quiet, large while it is busy.
 *
 * A connection always has a read pending (it is how we learn the client
 * sent something or went away), and Deno holds that read's buffer for as
 * long as it waits. So an idle connection holds whatever buffer its last
 * read chose: with a fixed 16 KiB buffer per connection, 10,000 idle
 * connections cost 26.5 KiB each (bench's idle-memory workload via wsload,
 * Deno 2.9.6), against bare Deno's 17.6; with a 256 B one, 11.6.
 *
 * So every read starts small, and a read that fills the small buffer
 * borrows a large one from a pool shared by all connections of the
 * process; the first read that fits the small buffer again gives it back.
 * A busy connection (pipelined messages, large binary) keeps the large one
 * from read to read, an idle one waits on 256 bytes. Swapping costs no
 * allocation: the pool keeps up to POOL_MAX large buffers.
 *
 * Buffers are swapped only between reads, once the last read's bytes have
 * been handled (the Receiver copies what it keeps across reads; the
 * compressed path copies payloads), so no view into a returned buffer
 * outlives its read.
 */

/**
 * What a quiet connection reads into. Measured (10,000 idle connections):
 * 256 B → 11.6 KiB/conn, 1 KiB → 12.4, 4 KiB → 15.4, 16 KiB → 26.5. A
 * 32 B message (38 B framed) and wsload's handshake fit; a browser's
 * larger head takes two reads, the second one into a large buffer.
 */
export const SMALL_READ = 256;

/**
 * What a busy connection reads into: one read's worth of echoes at most.
 * Measured with wsload, 64 KiB binary, 10 conns × 4 in flight, server CPU
 * per MB echoed (median of 3, alternating on one quiet machine; bare Deno
 * 959–1031): 16 KiB → 1621 (a 64 KiB message took five reads, each an op
 * and a turn of the event loop), 64 KiB → 1077–1183, 256 KiB → 1861 (a
 * read then holds several 64 KiB echoes, whose batch outgrows
 * frame_writer.ts's RETAIN_CAPACITY and is reallocated on every write).
 */
export const LARGE_READ = 64 * 1024;

/** Large buffers kept for reuse: at most 1 MiB held by the pool. */
const POOL_MAX = 16;

const pool: Uint8Array[] = [];

export class ReadBuffer {
  readonly #small = new Uint8Array(SMALL_READ);
  #current: Uint8Array = this.#small;
  /** Bytes the last read put into `#current`. */
  #filled = 0;

  /**
   * The buffer for the next read, once the last read's bytes have all been
   * handled: large after a read that filled the small one, small again
   * after a read that would have fit it.
   */
  next(): Uint8Array {
    const current = this.#current;
    const filled = this.#filled;
    if (filled === current.length) {
      if (current === this.#small) {
        this.#current = pool.pop() ?? new Uint8Array(LARGE_READ);
      }
    } else if (filled <= SMALL_READ && current !== this.#small) {
      giveBack(current);
      this.#current = this.#small;
    }
    return this.#current;
  }

  /** The `n` bytes a read put into the buffer `next()` gave. */
  got(n: number): Uint8Array {
    this.#filled = n;
    return this.#current.subarray(0, n);
  }

  /** The connection is over and no read is pending: return the large one. */
  release(): void {
    if (this.#current !== this.#small) giveBack(this.#current);
    this.#current = this.#small;
  }
}

function giveBack(buffer: Uint8Array): void {
  if (pool.length < POOL_MAX) pool.push(buffer);
}
