/**
 * How steady a configuration's trials were: their coefficient of variation
 * (pyperf calls a benchmark unstable above 10%) and the trials that stand out
 * by the modified Z-score (Iglewicz and Hoaglin's rule, as hyperfine warns of
 * outliers: |0.6745 (x − median) / MAD| over 3.5). Pure.
 */
import { median } from "./bootstrap.ts"

/** A coefficient of variation above this calls a configuration unstable (pyperf's `check`). */
export const UNSTABLE_CV = 0.1

/** A trial whose modified Z-score exceeds this is an outlier (Iglewicz and Hoaglin; hyperfine). */
export const OUTLIER_Z = 3.5

/** Sample standard deviation over the mean; 0 for fewer than two values or a zero mean. */
export const coefficientOfVariation = (xs: ReadonlyArray<number>): number => {
  if (xs.length < 2) return 0
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length
  if (!(mean > 0)) return 0
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)
  return Math.sqrt(variance) / mean
}

/** Each value's modified Z-score; all 0 when the median absolute deviation is 0 (no spread to measure against). */
export const modifiedZ = (xs: ReadonlyArray<number>): ReadonlyArray<number> => {
  const m = median(xs)
  const mad = median(xs.map((x) => Math.abs(x - m)))
  return xs.map((x) => (mad > 0 ? (0.6745 * (x - m)) / mad : 0))
}

/** The indexes of the outliers among `xs`. */
export const outliersOf = (xs: ReadonlyArray<number>): ReadonlyArray<number> =>
  modifiedZ(xs).flatMap((z, i) => (Math.abs(z) > OUTLIER_Z ? [i] : []))

export interface Stability {
  readonly cv: number
  readonly outliers: ReadonlyArray<number>
  readonly unstable: boolean
}

export const stabilityOf = (xs: ReadonlyArray<number>): Stability => {
  const cv = coefficientOfVariation(xs)
  const outliers = outliersOf(xs)
  return { cv, outliers, unstable: cv > UNSTABLE_CV || outliers.length > 0 }
}
