/**
 * Before/after comparisons that hold under noise. For elapsed time and each
 * segment's P95: the ratio of medians after/before with a 95% bootstrap
 * interval, and a verdict: `improved` or `regressed` only when the interval
 * excludes 1 AND the change exceeds the noise threshold; otherwise
 * `no significant change`. `n/a` when the before median is 0.
 */
import { type Interval, median, ratioInterval } from "../metrics/bootstrap.ts"
import { round } from "../metrics/stats.ts"
import type { ChangeVerdict, ComparisonRow, TrialSummary } from "../results/schema.ts"
import { seededRandom } from "../metrics/random.ts"
import { SegmentNames } from "../metrics/segments.ts"


export const verdictOf = (ratio: number | null, ci: Interval | null, noise: number): ChangeVerdict =>
  ratio === null || ci === null
    ? "n/a"
    : ci[1] < 1 && ratio < 1 - noise
    ? "improved"
    : ci[0] > 1 && ratio > 1 + noise
    ? "regressed"
    : "no significant change"

/** The trial values compared: elapsed seconds and every segment's P95. */
export interface TrialSeries {
  readonly trialResults: ReadonlyArray<Pick<TrialSummary, "elapsedSeconds" | "segments">>
}

export const compareSeries = (
  before: TrialSeries,
  after: TrialSeries,
  options: { readonly noise: number; readonly seed: number }
): ReadonlyArray<ComparisonRow> => {
  const random = seededRandom(options.seed)
  const row = (metric: ComparisonRow["metric"], unit: ComparisonRow["unit"], pick: (t: TrialSeries["trialResults"][number]) => number): ComparisonRow => {
    const b = before.trialResults.map(pick)
    const a = after.trialResults.map(pick)
    const mb = median(b)
    const ma = median(a)
    const { ratio, interval } = ratioInterval(b, a, random)
    const digits = unit === "s" ? 6 : 4
    return {
      metric,
      unit,
      before: round(mb, digits),
      after: round(ma, digits),
      delta: round(ma - mb, digits),
      deltaPercent: mb > 0 ? round(((ma - mb) / mb) * 100, 2) : null,
      ratio: ratio === null ? null : round(ratio, 4),
      ci: interval === null ? null : [round(interval[0], 4), round(interval[1], 4)],
      verdict: verdictOf(ratio, interval, options.noise)
    }
  }
  return [
    row("elapsed", "s", (t) => t.elapsedSeconds),
    ...SegmentNames.map((s) => row(s, "ms", (t) => t.segments[s].p95))
  ]
}
