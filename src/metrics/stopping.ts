/**
 * When a configuration has had trials enough: after its minimum, each round
 * of trials (every side of a comparison, interleaved) is followed by this
 * check, and the rounds stop once every side's 95% interval of its median
 * is narrow enough, or once the cap is reached. Pure; the interval is the
 * same seeded bootstrap the result document reports.
 */
import { median, medianInterval } from "./bootstrap.ts"
import { seededRandom } from "./random.ts"

/** Why a configuration's trials stopped: its interval within the target, or the cap reached first. */
export type StopReason = "interval" | "cap"

export interface StoppingRule {
  /** The widest a 95% interval's half-width may be, as a share of the median (0.05: ±5%). */
  readonly target: number
  /** The most counted trials a side gets. */
  readonly maxTrials: number
}

/** The half-width of the 95% bootstrap interval of the median of `xs`, as a share of that median (Infinity when it is 0). */
export const halfWidthShare = (xs: ReadonlyArray<number>, seed: number): number => {
  const m = median(xs)
  if (!(m > 0)) return Infinity
  const [lo, hi] = medianInterval(xs, seededRandom(seed))
  return (hi - lo) / 2 / m
}

/**
 * After a round: null to go on, else why the rounds stop. `sides` are the
 * counted figures of every side measured in the rounds (each as long as the
 * others); the widest side decides.
 */
export const stopReason = (sides: ReadonlyArray<ReadonlyArray<number>>, rule: StoppingRule, seed: number): StopReason | null => {
  const counted = Math.min(...sides.map((xs) => xs.length))
  if (sides.length > 0 && sides.every((xs) => halfWidthShare(xs, seed) <= rule.target)) return "interval"
  return counted >= rule.maxTrials ? "cap" : null
}
