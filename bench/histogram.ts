/**
 * A latency histogram with log-linear buckets: exact below 3.2 µs, then 32
 * buckets per power of two (≤ 3.2 % error). Recording is a few integer
 * operations, so the load client can record every echo without slowing down.
 */

/** Values are kept in tenths of a microsecond. */
const UNITS_PER_US = 10;
const SUB_BUCKETS = 32;
const BUCKETS = 1024;

export class Histogram {
  readonly counts: Float64Array = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  /** Records one latency in microseconds. */
  record(us: number): void {
    const units = Math.min(
      Math.max(0, Math.floor(us * UNITS_PER_US)),
      0x7fffffff,
    );
    this.counts[bucketOf(units)]++;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** The latency (µs) below which a fraction `q` (0..1) of samples fall. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

/** Bucket index of a value in units. */
export function bucketOf(units: number): number {
  if (units < SUB_BUCKETS) return units;
  const shift = 31 - Math.clz32(units) - 5;
  return shift * SUB_BUCKETS + (units >>> shift);
}

/** A representative value (µs) of bucket `index`: the middle of its range. */
export function valueOf(index: number): number {
  const shift = Math.max(0, Math.floor(index / SUB_BUCKETS) - 1);
  const mantissa = index - shift * SUB_BUCKETS;
  const low = mantissa * 2 ** shift;
  return (low + (2 ** shift - 1) / 2) / UNITS_PER_US;
}
