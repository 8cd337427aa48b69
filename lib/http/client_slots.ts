/**
 * `--max-clients`: a fixed number of client slots. A slot is taken when we
 * decide to upgrade a request, before the runtime writes its 101, and given
 * back when that socket closes, so clients that are mid-handshake count too
 * and a burst of simultaneous handshakes can never be over-admitted.
 *
 * A slot is a count, not an object: nothing is kept per connection (on Bun,
 * where an idle connection costs under 2 KiB, a small object per socket
 * showed in the benchmark). The runtime's glue gives a slot back exactly
 * once per admitted request: when its socket closes, or at once when the
 * upgrade fails.
 */
export class ClientSlots {
  private used = 0;

  /** @param limit how many slots exist; 0 means unlimited. */
  constructor(readonly limit: number) {}

  /**
   * Slots held right now: open clients plus handshakes in flight (always 0
   * when unlimited: nothing is counted then).
   */
  get inUse(): number {
    return this.used;
  }

  /** Takes a slot; false when all are taken (never, when unlimited). */
  take(): boolean {
    if (this.limit === 0) return true;
    if (this.used >= this.limit) return false;
    this.used++;
    return true;
  }

  /** Gives one slot back. More releases than takes never count below 0. */
  release(): void {
    if (this.used > 0) this.used--;
  }
}
