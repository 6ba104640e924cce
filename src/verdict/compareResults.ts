/**
 * Two result documents, compared configuration by configuration (matched on
 * concurrency, profile and mitigation) with the same statistics and verdicts
 * as the mitigation comparisons: the regression gate for a user's own CI.
 */
import type { ComparisonRow, ResultsDocument } from "../results/schema.ts"
import { compareSeries } from "./compare.ts"

export interface ConfigurationComparison {
  readonly concurrency: number
  readonly profile: string
  readonly mitigation: string
  readonly trials: { readonly before: number; readonly after: number }
  readonly rows: ReadonlyArray<ComparisonRow>
}

export interface ResultsComparison {
  readonly configurations: ReadonlyArray<ConfigurationComparison>
  readonly onlyBefore: ReadonlyArray<string>
  readonly onlyAfter: ReadonlyArray<string>
  /** Differences in how the two were measured that make the comparison weaker. */
  readonly caveats: ReadonlyArray<string>
  readonly regressions: number
}

/** The fewest trials a side may have for its interval (and verdict) to mean anything. */
export const MIN_TRIALS = 3

const key = (r: { readonly concurrency: number; readonly profile: string; readonly mitigation: string }) =>
  `c=${r.concurrency} ${r.profile} ${r.mitigation}`

/** The comparison; null when the two have no configuration in common. */
export const compareResults = (
  before: ResultsDocument,
  after: ResultsDocument,
  options: { readonly noise: number; readonly seed: number }
): ResultsComparison | null => {
  const afterByKey = new Map(after.runs.map((r) => [key(r), r]))
  const beforeKeys = new Set(before.runs.map(key))
  const configurations = before.runs.flatMap((b) => {
    const a = afterByKey.get(key(b))
    if (a === undefined) return []
    const trials = { before: b.trialResults.length, after: a.trialResults.length }
    const rows = compareSeries(b, a, options)
    return [{
      concurrency: b.concurrency,
      profile: b.profile,
      mitigation: b.mitigation,
      trials,
      // Resampling one or two trials draws an "interval" of a point or two: no interval, and so no verdict.
      rows: Math.min(trials.before, trials.after) < MIN_TRIALS ? rows.map((r) => ({ ...r, ci: null, verdict: "n/a" as const })) : rows
    }]
  })
  if (configurations.length === 0) return null
  const caveats = [
    ...(before.config.files !== after.config.files ? [`files differ: ${before.config.files} vs ${after.config.files}`] : []),
    ...(before.environment.cpuModel !== after.environment.cpuModel || before.environment.cpuCount !== after.environment.cpuCount
      ? ["measured on different CPUs"]
      : []),
    ...(before.environment.runtime !== after.environment.runtime ? ["measured on different runtimes"] : []),
    ...(before.environment.driver !== after.environment.driver ? ["measured with different drivers"] : []),
    ...(before.config.store !== after.config.store
      ? [`measured on different stores (${before.config.store} vs ${after.config.store}): a comparison of stores, not a regression check`]
      : []),
    ...(before.config.workers !== after.config.workers ? [`workers differ: ${before.config.workers} vs ${after.config.workers}`] : []),
    ...(before.config.poolSize !== after.config.poolSize ? [`pool sizes differ: ${before.config.poolSize} vs ${after.config.poolSize}`] : []),
    ...(configurations.some((c) => Math.min(c.trials.before, c.trials.after) < MIN_TRIALS)
      ? [`fewer than ${MIN_TRIALS} trials on a side: no interval and no verdict for those configurations`]
      : []),
    ...[{ side: "before", doc: before }, { side: "after", doc: after }].flatMap(({ side, doc }) =>
      doc.partial ? [`${side} is a partial document (an interrupted run): only the configurations it completed`] : []
    )
  ]
  return {
    configurations,
    onlyBefore: before.runs.map(key).filter((k) => !afterByKey.has(k)),
    onlyAfter: after.runs.map(key).filter((k) => !beforeKeys.has(k)),
    caveats,
    regressions: configurations.reduce((n, c) => n + c.rows.filter((r) => r.verdict === "regressed").length, 0)
  }
}
