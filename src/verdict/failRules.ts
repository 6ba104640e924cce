/**
 * Fail rules: which metric's regression fails a comparison, and by how much
 * it must have grown (`--fail-on elapsed:+10%,lock_wait_ms.p95:+20%`, in
 * pytest-benchmark's spirit). Pure.
 */
import * as Either from "effect/Either"
import { round } from "../metrics/stats.ts"
import { type SegmentName, SegmentNames } from "../metrics/segments.ts"

/** A metric a rule can name: elapsed time, or a segment's P95. */
export type RuleMetric = "elapsed" | SegmentName

/** Fail when `metric`'s ratio after/before exceeds 1 + `share` with its interval above 1. */
export interface FailRule {
  readonly metric: RuleMetric
  readonly share: number
}

/** The default noise threshold: a change smaller than this share is never called improved or regressed. */
export const DEFAULT_COMPARE_NOISE = 0.05 as const

/** The default rule: elapsed time, at the noise threshold. */
export const defaultRules = (noise: number): ReadonlyArray<FailRule> => [{ metric: "elapsed", share: noise }]

/** The rule `compare` applied before it knew the machine: every row, at the noise threshold. */
export const RAW_RULES: ReadonlyArray<FailRule> = [
  { metric: "elapsed", share: DEFAULT_COMPARE_NOISE },
  ...SegmentNames.map((s) => ({ metric: s, share: DEFAULT_COMPARE_NOISE }))
]

const METRICS: ReadonlyArray<RuleMetric> = ["elapsed", ...SegmentNames]

const isMetric = (name: string): name is RuleMetric => METRICS.some((m) => m === name)

/**
 * `--fail-on`'s text, `metric:+N%` joined by commas (`elapsed:+10%,lock_wait_ms.p95:+20%`):
 * a segment may be written with or without `.p95` (its P95 is what is compared).
 */
export const parseFailOn = (text: string): Either.Either<ReadonlyArray<FailRule>, string> => {
  const rules: Array<FailRule> = []
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const m = /^([a-z_]+?)(\.p95)?:\+?(\d+(?:\.\d+)?)%$/.exec(part)
    if (m === null) return Either.left(`'${part}' is not a rule: write METRIC:+N% (for example elapsed:+10%)`)
    const [, metric = "", suffix, share = "0"] = m
    if (!isMetric(metric)) return Either.left(`'${metric}' is not a metric: ${METRICS.join(", ")}`)
    if (metric === "elapsed" && suffix !== undefined) return Either.left("elapsed has no .p95: write elapsed:+N%")
    const value = Number(share) / 100
    if (!(value > 0)) return Either.left(`'${part}': the share must be above 0%`)
    rules.push({ metric, share: value })
  }
  return rules.length === 0 ? Either.left("no rule given: write METRIC:+N%, comma-separated") : Either.right(rules)
}

/** The rules in `--fail-on`'s spelling. */
export const rulesText = (rules: ReadonlyArray<FailRule>): string =>
  rules.map((r) => `${r.metric === "elapsed" ? "elapsed" : `${r.metric}.p95`}:+${round(r.share * 100, 2)}%`).join(",")

