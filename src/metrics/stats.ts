/** Exact statistics over raw samples. Percentiles are nearest-rank, as the seed's harness computed them. */

export interface Summary {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly mean: number
  readonly min: number
  readonly max: number
}

/** Values to summarize: an array, or a column of typed samples (`samples.ts`). */
export type Numbers = ArrayLike<number> & Iterable<number>

/** Nearest-rank percentile of ascending `sorted`: the value at rank ceil(p/100 · n). */
export const percentileSorted = (sorted: ArrayLike<number>, p: number): number => {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] ?? NaN
}

const ascending = (samples: Numbers): Float64Array => Float64Array.from(samples).sort()

export const percentile = (samples: Numbers, p: number): number => percentileSorted(ascending(samples), p)

export const summarize = (samples: Numbers): Summary => {
  const sorted = ascending(samples)
  const sum = sorted.reduce((acc, x) => acc + x, 0)
  return {
    count: sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    mean: sorted.length === 0 ? NaN : sum / sorted.length,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN
  }
}

export const sum = (samples: Numbers): number => {
  let total = 0
  for (const x of samples) total += x
  return total
}

/**
 * `x` rounded to `digits` decimals: how every figure in a result document is
 * stored. A tiny negative (a residual segment's -1e-9) rounds to 0, not -0:
 * JSON writes -0 as 0, and a document must read back as it was written.
 */
export const round = (x: number, digits = 4): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f + 0
}
