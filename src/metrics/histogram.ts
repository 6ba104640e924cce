/**
 * Per-file values of a segment kept compactly enough to redraw their
 * distribution from the results alone: counts in logarithmic buckets, 20 per
 * decade from 1 µs (bucket i holds values in [10^(i/20), 10^((i+1)/20)) µs,
 * a 12% wide bin), values at or below 0 counted apart. Exact percentiles come
 * from the raw samples (`stats.ts`), never from these.
 */

export const BUCKETS_PER_DECADE = 20
const MIN_MS = 0.001

export interface Histogram {
  /** Values at or below 0 (a segment that did not happen for the file, e.g. guard_ms with in-memory guards). */
  readonly zero: number
  /** [bucket index, count], ascending, non-empty buckets only. */
  readonly buckets: ReadonlyArray<readonly [number, number]>
}

export const bucketOf = (ms: number): number =>
  ms <= MIN_MS ? 0 : Math.floor(BUCKETS_PER_DECADE * Math.log10(ms / MIN_MS))

/** The lower edge of bucket `i`, in ms. */
export const bucketLowerMs = (i: number): number => MIN_MS * 10 ** (i / BUCKETS_PER_DECADE)

export const histogramOf = (samples: Iterable<number>): Histogram => {
  const counts = new Map<number, number>()
  let zero = 0
  for (const x of samples) {
    if (!(x > 0)) zero += 1
    else {
      const i = bucketOf(x)
      counts.set(i, (counts.get(i) ?? 0) + 1)
    }
  }
  return { zero, buckets: [...counts].sort((a, b) => a[0] - b[0]) }
}

export const mergeHistograms = (hs: ReadonlyArray<Histogram>): Histogram => {
  const counts = new Map<number, number>()
  for (const h of hs) for (const [i, n] of h.buckets) counts.set(i, (counts.get(i) ?? 0) + n)
  return { zero: hs.reduce((n, h) => n + h.zero, 0), buckets: [...counts].sort((a, b) => a[0] - b[0]) }
}
