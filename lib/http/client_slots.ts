/**
 * `--max-clients`: a fixed number of client slots. A slot is taken when we
 * decide to upgrade a request, before the runtime writes its 101, and given
 * back when that socket closes, so clients that are mid-handshake count too
 * and a burst of simultaneous handshakes can never be over-admitted.
 *
 * A slot is an object owned by the peer that took it: its `release()` is
 * idempotent, and a second release of one slot is a bug in a glue, which
 * is counted ({@linkcode ClientSlots.doubleReleases}, read by
 * tests/unit/access_test.ts) and logged at error level, never hidden.
 *
 * Without a limit (`--max-clients 0`, the default) every admission gets
 * the same shared no-op slot: nothing is allocated or counted per
 * connection. On Bun, where an idle connection costs under 2 KiB, a small
 * object per socket showed in the benchmark (0.3 KiB per idle connection;
 * see BunPeers in lib/runtime/bun/glue.ts), so only a server that asked
 * for a limit pays one object per client for it.
 */
import { logger } from "../core/log.ts";

/** A client's claim on one slot; given back once, when its socket ends. */
export interface ClientSlot {
  /** Gives the slot back; a second call is reported as a bug, not counted. */
  release(): void;
}

/** The slot of every client when there is no limit: shared, does nothing. */
export const UNLIMITED_SLOT: ClientSlot = Object.freeze({ release() {} });

/** A slot of a limited pool: remembers whether it was given back. */
class CountedSlot implements ClientSlot {
  #released = false;

  constructor(private readonly pool: ClientSlots) {}

  release(): void {
    if (this.#released) {
      this.pool.reportDoubleRelease();
      return;
    }
    this.#released = true;
    this.pool.giveBack();
  }
}

export class ClientSlots {
  private used = 0;
  private doubles = 0;
  private readonly log = logger("access");

  /** @param limit how many slots exist; 0 means unlimited. */
  constructor(readonly limit: number) {}

  /**
   * Slots held right now: open clients plus handshakes in flight (always 0
   * when unlimited: nothing is counted then).
   */
  get inUse(): number {
    return this.used;
  }

  /**
   * Slots released a second time (or more releases than takes): each one
   * a bug in a glue, which would otherwise admit one client too many.
   */
  get doubleReleases(): number {
    return this.doubles;
  }

  /** Takes a slot; undefined when all are taken (never, when unlimited). */
  take(): ClientSlot | undefined {
    if (this.limit === 0) return UNLIMITED_SLOT;
    if (this.used >= this.limit) return undefined;
    this.used++;
    return new CountedSlot(this);
  }

  /** Called by a slot on its first release. */
  giveBack(): void {
    if (this.used === 0) {
      // Cannot happen with slots released once each: say so, do not clamp.
      this.reportDoubleRelease();
      return;
    }
    this.used--;
  }

  /** Called by a slot released again: a bug that a test and a log see. */
  reportDoubleRelease(): void {
    this.doubles++;
    this.log.error(
      "a client slot was released twice (bug): {doubleReleases} so far; {inUse} of {limit} slots in use",
      {
        doubleReleases: this.doubles,
        inUse: this.used,
        limit: this.limit,
      },
    );
  }
}
