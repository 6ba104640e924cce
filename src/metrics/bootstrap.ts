/**
 * Statistics over trials: medians, and 95% bootstrap confidence intervals
 * (percentile method) for a median and for a ratio of medians. Resampling
 * draws from a seeded generator, so the same trials and seed give the same
 * interval on every rerun.
 */
import { percentileSorted } from "./stats.ts"

export type Interval = readonly [number, number]

export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return NaN
  const mid = Math.floor(n / 2)
  return n % 2 === 1 ? sorted[mid] ?? NaN : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2
}

export const RESAMPLES = 2000
export const LEVEL = 0.95

const resample = (xs: ReadonlyArray<number>, random: () => number): Array<number> =>
  xs.map(() => xs[Math.floor(random() * xs.length)] ?? NaN)

const interval = (values: Array<number>): Interval => {
  const sorted = values.sort((a, b) => a - b)
  const tail = ((1 - LEVEL) / 2) * 100
  return [percentileSorted(sorted, tail), percentileSorted(sorted, 100 - tail)]
}

/** 95% bootstrap interval of the median of `xs`. */
export const medianInterval = (xs: ReadonlyArray<number>, random: () => number): Interval =>
  xs.length === 0
    ? [NaN, NaN]
    : interval(Array.from({ length: RESAMPLES }, () => median(resample(xs, random))))

export interface Ratio {
  /** median(after) / median(before); null when the before median is 0. */
  readonly ratio: number | null
  readonly interval: Interval | null
}

/** after/before as a ratio of medians, with a 95% interval from resampling both sides independently. */
export const ratioInterval = (before: ReadonlyArray<number>, after: ReadonlyArray<number>, random: () => number): Ratio => {
  const base = median(before)
  if (!(base > 0) || after.length === 0) return { ratio: null, interval: null }
  const ratios = Array.from({ length: RESAMPLES }, () => median(resample(after, random)) / median(resample(before, random)))
  return { ratio: median(after) / base, interval: interval(ratios.filter(Number.isFinite)) }
}
