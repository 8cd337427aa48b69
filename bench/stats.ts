/**
 * The few statistics the benchmark reports: medians (robust to one noisy
 * round) and how far the rounds spread around them.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median: 0.05 means the rounds lay within 5 %. */
  spread: number;
  n: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) {
    return { median: NaN, min: NaN, max: NaN, spread: NaN, n: 0 };
  }
  const mid = median(finite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return {
    median: mid,
    min,
    max,
    spread: mid === 0 ? 0 : (max - min) / Math.abs(mid),
    n: finite.length,
  };
}

/**
 * Ratios of paired rounds (project ÷ bare of the same round, measured back
 * to back), summarized: drift over the run affects both sides of a pair
 * alike, so this is steadier than a ratio of two medians.
 */
export function pairedRatios(
  project: readonly number[],
  bare: readonly number[],
): Summary {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(project.length, bare.length); i++) {
    if (bare[i] > 0 && Number.isFinite(project[i])) {
      ratios.push(project[i] / bare[i]);
    }
  }
  return summarize(ratios);
}
