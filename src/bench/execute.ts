/**
 * A run carried out: the plan's matrix (each configuration over warm-up and
 * counted trials), its comparisons at c=10 zero (baseline and mitigated
 * trials alternating), then every verdict (`verdict/analyze.ts`), assembled
 * into the result document (less the names of the files it will be written
 * to, which are the output's business).
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { DRIFT_THRESHOLD, driftOfProbes } from "../metrics/calibration.ts"
import { round } from "../metrics/stats.ts"
import { type Calibrator, makeCalibrator } from "./calibration.ts"
import { CALLS_PER_FILE } from "../api/profiles.ts"
import { environmentNow, withGit } from "../process/environment.ts"
import { catalogOf, MitigationRegistry, mitigationLabel, type Registry } from "../mitigations/registry.ts"
import {
  type Calibration,
  type Comparisons,
  type Contrast,
  type Environment,
  type ResultsDocument,
  type RunResult,
  SCHEMA_ID,
  SCHEMA_VERSION,
  type Step
} from "../results/schema.ts"
import { describeDrivers, ownDrivers } from "../backends/all.ts"
import { maskedUrl } from "../process/startSignals.ts"
import { type ExportHealth, Exports } from "../telemetry/watched.ts"
import { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { type ForeignDatabase, migrate, storeVersion, withDatabase } from "../store/store.ts"
import type { TrialTrace } from "../metrics/trace.ts"
import { LiveMetrics, trialGauges } from "../metrics/live.ts"
import { analyze } from "../verdict/analyze.ts"
import { answerOf } from "../verdict/answer.ts"
import { compareSeries } from "../verdict/compare.ts"
import { TRANSITIONS_PER_FILE } from "../verdict/integrity.ts"
import { recordedValues } from "../config/recorded.ts"
import { type BenchConfig, processesOf } from "./config.ts"
import { walkLadder } from "./ladder.ts"
import { planOf } from "./plan.ts"
import { Progress } from "./progress.ts"
import { collector, inRounds, makeTrials, type Session, stoppingRuleOf, type Target, type TrialCell, type Trials, trialTag, withStop } from "./trials.ts"

export { type Collected, collector, type Target } from "./trials.ts"

/** The document as measured; `files` is added when it is written. */
export type MeasuredDocument = Omit<ResultsDocument, "files">

export interface Measured {
  readonly doc: MeasuredDocument
  readonly trace: TrialTrace | null
}

/**
 * Before/after at the comparison configuration, in rounds: a baseline trial,
 * then one of each compared set (A B C D A B C D ...), so that drift on the
 * machine hits every side alike and one baseline series serves every step.
 */
const measureSteps = (s: Session, trials: Trials, sets: ReadonlyArray<ReadonlyArray<string>>, prefix: string) =>
  Effect.gen(function*() {
    const { config, plan } = s
    const at = plan.comparisonAt
    const rule = stoppingRuleOf(config)
    const name = sets.length === 1 ? `compare ${mitigationLabel(sets[0] ?? [])}` : "ladder"
    const { sides, stopped } = yield* inRounds(config, config.trials, rule, (i) =>
      Effect.gen(function*() {
        const tag = `[${prefix}${name}] ${trialTag(config, i, config.trials, rule)}`
        const round = [yield* trials.trial({ ...at, mitigations: [] }, tag, i)]
        for (const mitigations of sets) round.push(yield* trials.trial({ ...at, mitigations }, tag, i))
        if (i >= config.warmup) yield* s.probe(`c=${at.concurrency} ${at.profile.name} ${name}, round ${i - config.warmup + 1}`)
        return round
      }))
    const [before = [], ...after] = sides
    const beforeRun = withStop(yield* trials.combine(before, { ...at, mitigations: [] }), rule, stopped, config.seed)
    return yield* Effect.forEach(sets, (mitigations, k) =>
      Effect.map(trials.combine(after[k] ?? [], { ...at, mitigations }), (combined): Step => {
        const afterRun = withStop(combined, rule, stopped, config.seed)
        return {
          mitigation: mitigationLabel(mitigations),
          mitigations,
          before: beforeRun,
          after: afterRun,
          rows: compareSeries(beforeRun, afterRun, { noise: config.noise, seed: config.seed }),
          meetsThreshold1: afterRun.integrity.ok && afterRun.elapsedSeconds <= config.thresholdZeroSeconds
        }
      }))
  })

/**
 * The matrix: each configuration's warm-ups discarded, then its counted
 * trials, one configuration after another. The configuration the ladder
 * shares (its baseline side) is measured with the ladder's first step (or
 * all of them, in full mode), whose steps are kept in `premeasured`.
 */
const measureMatrix = (s: Session, trials: Trials, runs: Array<RunResult>, premeasured: Map<string, Step>) =>
  Effect.gen(function*() {
    const { config, plan } = s
    const together = plan.comparisons?.mode === "full" ? plan.comparisons.steps : null
    const firstSet = plan.comparisons?.steps[0]
    for (const [index, cell] of plan.cells.entries()) {
      const position = `${index + 1}/${plan.cells.length}`
      yield* Effect.logDebug(`configuration ${position}: c=${cell.concurrency} ${cell.profile.name}`)
      if (firstSet !== undefined && cell.sharedSide !== null) {
        const steps = yield* measureSteps(s, trials, together ?? [firstSet], `${position} + `)
        for (const step of steps) premeasured.set(step.mitigation, step)
        const [step] = steps
        if (step !== undefined) runs.push(step[cell.sharedSide])
        continue
      }
      const deciding = cell.concurrency === plan.comparisonAt.concurrency
      const rule = deciding && cell.profile.name === plan.comparisonAt.profile.name ? stoppingRuleOf(config) : null
      runs.push(yield* trials.series(cell, `[${position}]`, deciding ? config.trials : config.otherTrials, rule, deciding))
    }
  })

/** The ladder walked (its steps measured with the matrix reused), every step at once in full mode. */
const measureLadder = (s: Session, trials: Trials, premeasured: Map<string, Step>) =>
  Effect.gen(function*() {
    const { plan } = s
    if (plan.comparisons === null) return null
    if (plan.comparisons.mode === "full" && premeasured.size === 0) {
      for (const step of yield* measureSteps(s, trials, plan.comparisons.steps, "")) premeasured.set(step.mitigation, step)
    }
    return yield* walkLadder(plan.comparisons.steps, plan.comparisons.mode, (mitigations) => {
      const measured = premeasured.get(mitigationLabel(mitigations))
      return measured === undefined
        ? Effect.flatMap(measureSteps(s, trials, [mitigations], ""), ([step]) =>
          step === undefined ? Effect.die("no step measured") : Effect.succeed(step))
        : Effect.succeed(measured)
    })
  })

/** The contrast: the baseline at the comparison configuration on another driver, with its own floor. */
const measureContrast = (s: Session, trials: Trials) => {
  const contrast = s.target.contrast
  if (contrast == null) return Effect.succeed(null)
  const cell: TrialCell = { ...s.plan.comparisonAt, mitigations: [], driver: contrast.name }
  return Effect.logDebug(`contrast: ${contrast.name}`).pipe(
    Effect.zipRight(trials.series(cell, `[contrast ${contrast.name}]`, s.config.trials, null, true)),
    Effect.map((run) => ({ driver: contrast.name, run })),
    Effect.provide(contrast.context)
  )
}

export const measureBench = (
  config: BenchConfig,
  target: Target
): Effect.Effect<Measured, StoreError | ForeignDatabase, Driver | Progress | MitigationRegistry> =>
  Effect.scoped(Effect.gen(function*() {
    const driver = yield* Driver
    const registry = yield* MitigationRegistry
    const plan = planOf(config, registry)
    // Refuse a foreign database before any configuration runs.
    const version = yield* withDatabase(target.dbPath, (sql) => Effect.zipRight(migrate(sql), storeVersion(sql)))
    const collected = target.collected ?? collector()
    // The machine's facts now (an interrupted run's partial document has them); the checkout's come
    // from git while the first trial runs, and every document waits for them.
    collected.environment = environmentNow({ storeVersion: version, driver: driver.name })
    const withCheckout = yield* Effect.fork(
      Effect.tap(withGit(collected.environment), (e) => Effect.sync(() => (collected.environment = e)))
    )
    yield* Effect.logDebug(`plan: ${plan.cells.length} configurations, ${plan.comparisons?.steps.length ?? 0} comparisons`)
    const live = yield* LiveMetrics
    if (live.enabled) trialGauges.planned.unsafeUpdate(plan.trials.count, [])
    const calibrator = yield* makeCalibrator()
    collected.calibration = calibrator
    const session: Session = { config, target, plan, registry, driver: driver.name, progress: yield* Progress, live, probe: calibrator.probe }
    yield* calibrator.probe("start")
    const trials = makeTrials(session)
    const premeasured = new Map<string, Step>()
    yield* measureMatrix(session, trials, collected.runs, premeasured)
    yield* Effect.logDebug("comparisons")
    const comparisons = yield* measureLadder(session, trials, premeasured)
    const contrast = yield* measureContrast(session, trials)
    yield* calibrator.probe("end")
    yield* Effect.logDebug("verdicts")
    const environment = yield* Fiber.join(withCheckout)
    const exports = (yield* Exports)()
    const doc = documentOf(
      config,
      target,
      { environment, runs: collected.runs, comparisons, contrast, partial: false, exports, calibration: calibrator },
      registry
    )
    return { doc, trace: trials.trace() }
  }))

/** The probes as the document records them, with their drift. */
const calibrationOf = (calibrator: Calibrator): Calibration => {
  const probes = calibrator.probes()
  const drift = driftOfProbes(probes)
  return {
    cpu: calibrator.cpu,
    storage: calibrator.storage,
    storageUnavailable: calibrator.unavailable,
    probes: [...probes],
    drift: { cpu: round(drift.cpu, 4), storage: drift.storage === null ? null : round(drift.storage, 4) },
    threshold: DRIFT_THRESHOLD,
    shifted: drift.shifted,
    hit: [...drift.hit]
  }
}

/**
 * The result document of what was measured: every verdict computed from
 * `runs` and `comparisons`. A partial one (an interrupted run) holds the
 * configurations completed before the interruption and no comparisons.
 */
export const documentOf = (
  config: BenchConfig,
  target: Pick<Target, "createdAt" | "dbLabel">,
  measured: {
    readonly environment: Environment
    readonly runs: ReadonlyArray<RunResult>
    readonly comparisons: Comparisons | null
    readonly contrast: Contrast | null
    readonly partial: boolean
    /** How the OTLP exports went, with --otlp. */
    readonly exports?: ExportHealth | null
    /** The machine's probes so far. */
    readonly calibration?: Calibrator | null
  },
  registry: Registry
): MeasuredDocument => {
  const plan = planOf(config, registry)
  const { environment, runs, comparisons, contrast } = measured
  const verdicts = analyze(runs, comparisons, {
    zeroSeconds: config.thresholdZeroSeconds,
    realisticSeconds: config.thresholdRealisticSeconds,
    files: config.files
  }, contrast)
  const drivers = describeDrivers([environment.driver, ...(contrast === null ? [] : [contrast.driver])], ownDrivers(registry))
  const answer = answerOf({ runs, comparisons, driver: environment.driver, thresholds: verdicts.thresholds, contrast, drivers })
  return {
    $schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    createdAt: target.createdAt,
    partial: measured.partial,
    environment,
    config: {
      ...recordedValues(config),
      concurrency: config.concurrency,
      profiles: config.profiles,
      profileDefinitions: plan.profiles,
      realisticDelaySeconds: config.realisticDelaySeconds,
      db: target.dbLabel,
      thresholdZeroSeconds: config.thresholdZeroSeconds,
      thresholdRealisticSeconds: config.thresholdRealisticSeconds,
      store: config.store,
      workers: processesOf(config),
      driver: environment.driver,
      contrast: contrast?.driver ?? null,
      mitigations: config.mitigations,
      mitigation: mitigationLabel(config.mitigations),
      ladder: config.ladder,
      trials: config.trials,
      otherTrials: config.otherTrials,
      failBatch: config.failBatch,
      retryBaseSeconds: config.retryBaseSeconds,
      transitionsPerFile: TRANSITIONS_PER_FILE,
      apiCallsPerFile: CALLS_PER_FILE,
      comparisonAt: { concurrency: plan.comparisonAt.concurrency, profile: plan.comparisonAt.profile.name }
    },
    catalog: catalogOf(registry),
    answer,
    runs: [...runs],
    ...verdicts,
    comparisons,
    contrast,
    ...(measured.calibration == null ? {} : { calibration: calibrationOf(measured.calibration) }),
    ...(measured.exports == null ? {} : { exports: { ...measured.exports, url: maskedUrl(measured.exports.url) } })
  }
}
