/**
 * Two result documents, compared configuration by configuration (matched on
 * concurrency, profile and mitigation, and the ladder's steps on their sets)
 * with the same statistics as the mitigation comparisons: the regression
 * check of `compare`, `--baseline` and a user's own suite.
 *
 * Two things keep it from crying wolf on a noisy machine:
 * - the machine: each document's probes (`calibration`) say how fast its
 *   machine was; when the two differ by more than the noise threshold, every
 *   ratio is divided by the machines' ratio and the verdicts rest on that;
 * - fail rules: a regression is a metric named by a rule (`--fail-on`,
 *   pytest-benchmark's `--benchmark-compare-fail` in spirit) whose ratio's
 *   interval lies above 1 and whose ratio exceeds 1 + the rule's share.
 *   By default the rule is elapsed time's, at the noise threshold: the figure
 *   the tool answers for. Every other row keeps its verdict, as information.
 */
import { type Interval, median } from "../metrics/bootstrap.ts"
import { round } from "../metrics/stats.ts"
import type { ComparisonRow, ResultsDocument, RunResult } from "../results/schema.ts"
import { compareSeries, verdictOf } from "./compare.ts"
import { DEFAULT_COMPARE_NOISE, defaultRules, type FailRule } from "./failRules.ts"

export { DEFAULT_COMPARE_NOISE, defaultRules, type FailRule, parseFailOn, RAW_RULES, type RuleMetric, rulesText } from "./failRules.ts"

export interface ConfigurationComparison {
  readonly concurrency: number
  readonly profile: string
  readonly mitigation: string
  /** A matrix configuration, or a ladder step's set (c=10 zero). */
  readonly kind: "matrix" | "step"
  readonly trials: { readonly before: number; readonly after: number }
  /** Each row as measured. */
  readonly rows: ReadonlyArray<ComparisonRow>
  /** Each row divided by the machines' ratio; null when the machines did not differ (or `machine: "raw"`). */
  readonly normalized: ReadonlyArray<ComparisonRow> | null
}

/**
 * How much of a change in the machine's all-core CPU probe shows in a run's
 * elapsed time: elapsed moves with the probe's ratio to this power. Measured:
 * over 30 pairs of c=10 zero runs with and without a CPU hog, the log of the
 * elapsed ratio against the log of the probe ratio had a slope of 0.39
 * (correlation 0.81), docs/measurements.md, "Compare on a noisy machine".
 */
export const CPU_ELASTICITY = 0.4

/** How the two runs' machines compared, from their probes. */
export interface MachineComparison {
  /** After's probe ÷ before's (medians of each run's probes); null when a side has none. */
  readonly cpu: number | null
  readonly storage: number | null
  /** What the figures are divided by: the CPU probes' ratio to the power `CPU_ELASTICITY`; null without CPU probes. */
  readonly factor: number | null
  /** Whether the verdicts rest on the figures divided by `factor` (it is more than the noise away from 1). */
  readonly normalized: boolean
  /** In words, for the output. */
  readonly says: string
}

/** A rule broken: the configuration, the row, and the rule. */
export interface Failure {
  readonly configuration: string
  readonly row: ComparisonRow
  readonly rule: FailRule
}

export interface ResultsComparison {
  readonly configurations: ReadonlyArray<ConfigurationComparison>
  readonly onlyBefore: ReadonlyArray<string>
  readonly onlyAfter: ReadonlyArray<string>
  /** Differences in how the two were measured that make the comparison weaker. */
  readonly caveats: ReadonlyArray<string>
  readonly machine: MachineComparison
  readonly rules: ReadonlyArray<FailRule>
  /** The rules broken, on the figures the verdicts rest on. */
  readonly failures: ReadonlyArray<Failure>
  /** How many rules were broken (`failures.length`). */
  readonly regressions: number
  /** Rows the raw figures call regressed but the normalized ones do not: what the machine explains. */
  readonly explainedByMachine: number
}

export interface CompareOptions {
  /** A change smaller than this share is never called improved or regressed (default 0.05). */
  readonly noise?: number
  /** The bootstrap's seed (default the before side's). */
  readonly seed?: number
  /** What fails the comparison (default elapsed at the noise threshold). */
  readonly failOn?: ReadonlyArray<FailRule>
  /** `normalize` (default): divide by the machines' ratio when it exceeds the noise; `raw`: never. */
  readonly machine?: "normalize" | "raw"
}

/** The fewest trials a side may have for its interval (and verdict) to mean anything. */
export const MIN_TRIALS = 3

type Keyed = { readonly concurrency: number; readonly profile: string; readonly mitigation: string }
const key = (r: Keyed) => `c=${r.concurrency} ${r.profile} ${r.mitigation}`
const stepKey = (r: Keyed) => `${key(r)} (ladder step)`

const sides = (doc: ResultsDocument): ReadonlyArray<{ readonly key: string; readonly kind: "matrix" | "step"; readonly run: RunResult }> => [
  ...doc.runs.map((run) => ({ key: key(run), kind: "matrix" as const, run })),
  ...(doc.comparisons?.steps ?? []).map((s) => ({ key: stepKey(s.after), kind: "step" as const, run: s.after }))
]

/** A machines' ratio in words: `1.52× slower`, `1.10× faster`. */
export const slowerOrFaster = (factor: number): string =>
  factor > 1 ? `${factor.toFixed(2)}× slower` : `${(1 / factor).toFixed(2)}× faster`

const medianOf = (xs: ReadonlyArray<number>): number | null => (xs.length === 0 ? null : median(xs))

const ratioOf = (after: number | null, before: number | null): number | null =>
  after !== null && before !== null && before > 0 ? after / before : null

/**
 * The machines compared from their documents' probes: each side's median
 * probe of each kind. The storage probe is reported, not divided by: beside
 * a CPU hog it reads faster (a thread handing work to another waits less
 * when no core sleeps), while the run reads slower.
 */
export const machineComparison = (
  before: ResultsDocument,
  after: ResultsDocument,
  options: { readonly noise: number; readonly mode: "normalize" | "raw" }
): MachineComparison => {
  const probes = (doc: ResultsDocument) => doc.calibration?.probes ?? []
  const cpuOf = (doc: ResultsDocument) => medianOf(probes(doc).map((p) => p.cpuMs))
  const storageOf = (doc: ResultsDocument) => medianOf(probes(doc).flatMap((p) => (p.storageMs === null ? [] : [p.storageMs])))
  const cpu = ratioOf(cpuOf(after), cpuOf(before))
  const storage = ratioOf(storageOf(after), storageOf(before))
  const factor = cpu === null ? null : cpu ** CPU_ELASTICITY
  const differ = factor !== null && Math.abs(factor - 1) > options.noise
  const probesText = [cpu === null ? null : `CPU probe ${cpu.toFixed(2)}×`, storage === null ? null : `storage probe ${storage.toFixed(2)}×`]
    .filter((p) => p !== null).join(", ")
  const says = factor === null
    ? `no machine figures to normalize by (${cpuOf(before) === null ? "before" : "after"} has no probes)`
    : !differ
    ? `the machines agree within the noise (after ÷ before: ${probesText})`
    : `after's machine was ${slowerOrFaster(factor)} for this run ` +
      `(${probesText}; elapsed moves with the CPU probe to the power ${CPU_ELASTICITY})` +
      (options.mode === "raw" ? "; not normalized" : "; the verdicts rest on the figures divided by it")
  return { cpu, storage, factor, normalized: options.mode === "normalize" && differ, says }
}

/** A row divided by the machines' ratio: the after side as if measured on the before side's machine. */
const normalizedRow = (r: ComparisonRow, factor: number, noise: number): ComparisonRow => {
  const after = r.after / factor
  const ratio = r.ratio === null ? null : round(r.ratio / factor, 4)
  const ci: Interval | null = r.ci === null ? null : [round(r.ci[0] / factor, 4), round(r.ci[1] / factor, 4)]
  const digits = r.unit === "s" ? 6 : 4
  return {
    ...r,
    after: round(after, digits),
    delta: round(after - r.before, digits),
    deltaPercent: r.before > 0 ? round(((after - r.before) / r.before) * 100, 2) : null,
    ratio,
    ci,
    verdict: r.verdict === "n/a" ? "n/a" : verdictOf(ratio, ci, noise)
  }
}

const brokenRules = (configuration: string, rows: ReadonlyArray<ComparisonRow>, rules: ReadonlyArray<FailRule>): ReadonlyArray<Failure> =>
  rules.flatMap((rule) =>
    rows.filter((row) => row.metric === rule.metric && verdictOf(row.ratio, row.ci, rule.share) === "regressed")
      .map((row) => ({ configuration, row, rule }))
  )

const caveatsOf = (before: ResultsDocument, after: ResultsDocument, configurations: ReadonlyArray<ConfigurationComparison>) => [
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
  ...[{ side: "before", doc: before }, { side: "after", doc: after }].flatMap(({ side, doc }) => [
    ...(doc.partial ? [`${side} is a partial document (an interrupted run): only the configurations it completed`] : []),
    ...(doc.calibration?.shifted === true ? [`${side}'s machine moved during its run (its probes drifted ${doc.calibration.drift.cpu.toFixed(1)}× on CPU)`] : [])
  ])
]

/** The comparison; null when the two have no configuration in common. */
export const compareResults = (before: ResultsDocument, after: ResultsDocument, options: CompareOptions = {}): ResultsComparison | null => {
  const noise = options.noise ?? DEFAULT_COMPARE_NOISE
  const seed = options.seed ?? before.config.seed
  const rules = options.failOn ?? defaultRules(noise)
  const machine = machineComparison(before, after, { noise, mode: options.machine ?? "normalize" })
  const beforeList = sides(before)
  const afterList = sides(after)
  const afterSides = new Map(afterList.map((s) => [s.key, s]))
  const beforeKeys = new Set(beforeList.map((s) => s.key))
  const configurations = beforeList.flatMap(({ key: k, kind, run: b }): ReadonlyArray<ConfigurationComparison> => {
    const a = afterSides.get(k)?.run
    if (a === undefined) return []
    const trials = { before: b.trialResults.length, after: a.trialResults.length }
    const measured = compareSeries(b, a, { noise, seed })
    // Resampling one or two trials draws an "interval" of a point or two: no interval, and so no verdict.
    const rows = Math.min(trials.before, trials.after) < MIN_TRIALS ? measured.map((r) => ({ ...r, ci: null, verdict: "n/a" as const })) : measured
    const { factor } = machine
    return [{
      concurrency: b.concurrency,
      profile: b.profile,
      mitigation: b.mitigation,
      kind,
      trials,
      rows,
      normalized: machine.normalized && factor !== null ? rows.map((r) => normalizedRow(r, factor, noise)) : null
    }]
  })
  if (configurations.length === 0) return null
  const nameOf = (c: ConfigurationComparison) => (c.kind === "step" ? stepKey(c) : key(c))
  const failures = configurations.flatMap((c) => brokenRules(nameOf(c), c.normalized ?? c.rows, rules))
  const rawFailures = configurations.flatMap((c) => brokenRules(nameOf(c), c.rows, rules))
  return {
    configurations,
    onlyBefore: beforeList.map((s) => s.key).filter((k) => !afterSides.has(k)),
    onlyAfter: afterList.map((s) => s.key).filter((k) => !beforeKeys.has(k)),
    caveats: caveatsOf(before, after, configurations),
    machine,
    rules,
    failures,
    regressions: failures.length,
    explainedByMachine: Math.max(0, rawFailures.length - failures.length)
  }
}
