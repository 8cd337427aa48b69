/**
 * `--max-clients`: a fixed number of client slots. A slot is taken when we
 * decide to upgrade a request, before the runtime writes its 101, and given
 * back when that socket closes, so clients that are mid-handshake count too
 * and a burst of simultaneous handshakes can never be over-admitted.
 */

/** One held slot; giving it back twice is harmless. */
export interface Slot {
  release(): void;
}

/**
 * What an unlimited server hands out: nothing to count and nothing to give
 * back, so no object or closure is kept per connection (on Bun, where an
 * idle connection costs under 2 KiB, that is measurable).
 */
const UNCOUNTED: Slot = { release() {} };

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

  /** A slot, or `undefined` when all are taken. */
  take(): Slot | undefined {
    if (this.limit === 0) return UNCOUNTED;
    if (this.used >= this.limit) return undefined;
    this.used++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.used--;
      },
    };
  }
}
