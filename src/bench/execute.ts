/**
 * A run carried out: the plan's matrix (each configuration over warm-up and
 * counted trials), its comparisons at c=10 zero (baseline and mitigated
 * trials alternating), then every verdict (`verdict/analyze.ts`), assembled
 * into the result document (less the names of the files it will be written
 * to, which are the output's business).
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { CALLS_PER_FILE, canFail, hasDelay } from "../api/profiles.ts"
import { FLOOR_RUNS, type FloorOutcome, measureFloor } from "../floor/measure.ts"
import { environmentNow, withGit } from "../process/environment.ts"
import { catalogOf, floorPlan, MitigationRegistry, mitigationLabel, type Registry } from "../mitigations/registry.ts"
import {
  type Comparisons,
  type Contrast,
  type Environment,
  type ResultsDocument,
  type RunResult,
  SCHEMA_ID,
  SCHEMA_VERSION,
  type Step,
  type Trial
} from "../results/schema.ts"
import { describeDrivers } from "../backends/all.ts"
import { Driver } from "../store/driver.ts"
import { StoreError } from "../store/errors.ts"
import { type ForeignDatabase, migrate, storeVersion, withDatabase } from "../store/store.ts"
import { CodeOrigin, firstTrialLine, processCost } from "../metrics/processCost.ts"
import { recordingTracer, Tracing, traceSpans, type TrialTrace } from "../metrics/trace.ts"
import { LiveMetrics, trialGauges } from "../metrics/live.ts"
import { analyze } from "../verdict/analyze.ts"
import { answerOf } from "../verdict/answer.ts"
import { compareSeries } from "../verdict/compare.ts"
import { TRANSITIONS_PER_FILE } from "../verdict/integrity.ts"
import { combineTrials } from "./aggregate.ts"
import { type BenchConfig, processesOf } from "./config.ts"
import { walkLadder } from "./ladder.ts"
import { type Cell, planOf } from "./plan.ts"
import { Progress } from "./progress.ts"
import { describeTrial, measureTrial, type Replay } from "./trial.ts"

/** The document as measured; `files` is added when it is written. */
export type MeasuredDocument = Omit<ResultsDocument, "files">

export interface Target {
  /** Where the database lives; `dbLabel` is what the result records ("temporary" for the default). */
  readonly dbPath: string
  readonly dbLabel: string
  readonly createdAt: string
  /** Record a trace of one trial (the first counted trial at the comparison configuration, else of the first one). */
  readonly trace?: boolean
  /** Make every trial's spans (a span per trial, per file, per segment) for the run's tracer (`--otlp`). */
  readonly spans?: boolean
  /**
   * Filled as the run goes: the configurations measured so far, so that an
   * interrupted run can still write them (`documentOf` with `partial`).
   */
  readonly collected?: Collected
  /** A second driver, built, to measure the baseline at the comparison configuration on for contrast. */
  readonly contrast?: { readonly name: string; readonly context: Context.Context<Driver> } | null
}

/** A configuration as one trial runs it; `driver` names a contrast driver, absent for the run's own. */
type TrialCell = Omit<Cell, "sharedSide"> & { readonly driver?: string }

/** What a run has measured so far. */
export interface Collected {
  environment: Environment | null
  readonly runs: Array<RunResult>
}

export const collector = (): Collected => ({ environment: null, runs: [] })

export interface Measured {
  readonly doc: MeasuredDocument
  readonly trace: TrialTrace | null
}

export const measureBench = (
  config: BenchConfig,
  target: Target
): Effect.Effect<Measured, StoreError | ForeignDatabase, Driver | Progress | MitigationRegistry> =>
  Effect.gen(function*() {
    const { dbPath, createdAt } = target
    const driver = yield* Driver
    const progress = yield* Progress
    const registry = yield* MitigationRegistry
    const plan = planOf(config, registry)
    // Refuse a foreign database before any configuration runs.
    const version = yield* withDatabase(dbPath, (sql) => Effect.zipRight(migrate(sql), storeVersion(sql)))
    const collected = target.collected ?? collector()
    // The machine's facts now (an interrupted run's partial document has them); the checkout's come
    // from git while the first trial runs, and every document waits for them.
    collected.environment = environmentNow({ storeVersion: version, driver: driver.name })
    const withCheckout = yield* Effect.fork(
      Effect.tap(withGit(collected.environment), (e) => Effect.sync(() => (collected.environment = e)))
    )
    yield* Effect.logDebug(`plan: ${plan.cells.length} configurations, ${plan.comparisons?.steps.length ?? 0} comparisons`)
    let runCounter = 0
    const live = yield* LiveMetrics
    if (live.enabled) trialGauges.planned.unsafeUpdate(plan.trials.count, [])
    // The traced trial: the first counted one at the comparison configuration (or of the first configuration).
    const tracedCell = plan.cells.find((c) =>
      c.concurrency === plan.comparisonAt.concurrency && c.profile.name === plan.comparisonAt.profile.name
    ) ?? plan.cells[0]
    let trace: TrialTrace | null = null
    const wantsTrace = (cell: TrialCell, i: number) =>
      target.trace === true && trace === null && i === config.warmup && tracedCell !== undefined && cell.driver === undefined &&
      cell.concurrency === tracedCell.concurrency && cell.profile.name === tracedCell.profile.name &&
      mitigationLabel(cell.mitigations) === mitigationLabel(tracedCell.mitigations)

    const trial = (cell: TrialCell, tag: string, i: number) =>
      Effect.gen(function*() {
        runCounter += 1
        if (runCounter === 1) yield* Effect.logDebug(firstTrialLine(yield* processCost, yield* CodeOrigin))
        const label = `${tag} c=${cell.concurrency} ${cell.profile.name} ${mitigationLabel(cell.mitigations)}`
        const recording = wantsTrace(cell, i) ? recordingTracer(yield* Effect.tracer) : null
        const traced = recording !== null || target.spans === true
        const running = live.enabled
          ? trialGauges.running({
            run: `${createdAt}#${runCounter}`,
            profile: cell.profile.name,
            concurrency: String(cell.concurrency),
            mitigation: mitigationLabel(cell.mitigations),
            driver: cell.driver ?? driver.name,
            trial: tag
          })
          : null
        running?.unsafeUpdate(1, [])
        const { trial: result, replay } = yield* measureTrial({
          dbPath,
          files: config.files,
          concurrency: cell.concurrency,
          profile: cell.profile,
          mitigations: cell.mitigations,
          batch: { batchSize: config.batchSize, failBatch: config.failBatch },
          poolSize: config.poolSize,
          // A contrast driver's trials run here: the workers run the run's own driver.
          workers: cell.driver === undefined ? processesOf(config) : 1,
          seed: config.seed,
          clock: config.clock,
          runLabel: `${createdAt}#${runCounter}`,
          retry: { maxAttempts: config.maxAttempts, baseSeconds: config.retryBaseSeconds },
          scenario: config.scenario,
          onFileDone: progress.files(label, {
            index: runCounter,
            planned: plan.trials.count,
            upperBound: plan.trials.upperBound,
            simulated: config.clock === "warp" && hasDelay(cell.profile)
          })
        }).pipe(
          traced
            ? (run) =>
              run.pipe(
                Effect.withSpan("trial", {
                  attributes: {
                    // The run label of the trial's metric series: a span and its series are found by each other.
                    run: `${createdAt}#${runCounter}`,
                    trial: tag,
                    profile: cell.profile.name,
                    concurrency: cell.concurrency,
                    mitigation: mitigationLabel(cell.mitigations),
                    driver: cell.driver ?? driver.name
                  }
                }),
                Effect.provideService(Tracing, { enabled: true })
              )
            : (run) => run,
          recording === null ? (run) => run : Effect.withTracer(recording),
          (run) => namingOwn(run, cell),
          Effect.ensuring(Effect.sync(() => running?.unsafeUpdate(0, [])))
        )
        if (live.enabled) trialGauges.done.unsafeUpdate(1, [])
        if (recording !== null) trace = { label, slots: cell.concurrency, spans: traceSpans(recording.spans()) }
        yield* progress.line(describeTrial(tag, result))
        // A trial that lost a runner has files taken up midway: its events are no whole lifecycle to replay.
        if (counted(i) && (result.cluster?.lost.length ?? 0) === 0) replays.set(floorKey(cell), replay)
        return result
      })

    // A configuration with a config file's mitigation that fails (or dies) says which configuration and whose code.
    const namingOwn = <A, E extends { readonly message: string }, R>(run: Effect.Effect<A, E, R>, cell: TrialCell) => {
      const own = cell.mitigations.filter((m) => registry.mitigations.some((r) => r.definition.name === m && r.origin.kind !== "built-in"))
      if (own.length === 0) return run
      const where = `c=${cell.concurrency} ${cell.profile.name} ${mitigationLabel(cell.mitigations)} (the config's ${own.join(", ")})`
      return run.pipe(
        Effect.catchAllDefect((defect) =>
          Effect.fail(new StoreError({ operation: where, detail: defect instanceof Error ? defect.message : String(defect) }))
        ),
        Effect.mapError((e) => (e instanceof StoreError && e.operation === where ? e : new StoreError({ operation: where, detail: e.message })))
      )
    }

    // The storage floor of a configuration: its statements do not depend on
    // the concurrency, nor on the profile when no call can fail, so one floor
    // serves every configuration with the same key.
    const floorKey = (cell: TrialCell) =>
      `${cell.driver ?? ""}|${mitigationLabel(cell.mitigations)}|${canFail(cell.profile) ? cell.profile.name : "-"}`
    const replays = new Map<string, Replay>()
    const floors = new Map<string, FloorOutcome>()
    const floorOf = (cell: TrialCell) =>
      Effect.gen(function*() {
        const key = floorKey(cell)
        const known = floors.get(key)
        if (known !== undefined) return known
        const replay = replays.get(key)
        if (replay === undefined) return { floor: null, unavailable: "no counted trial to replay" } satisfies FloorOutcome
        if ("unavailable" in replay) return { floor: null, unavailable: replay.unavailable } satisfies FloorOutcome
        const floorCtx = { dbPath, batch: { batchSize: config.batchSize, failBatch: config.failBatch }, poolSize: config.poolSize }
        const how = floorPlan(registry, cell.mitigations, floorCtx)
        if ("none" in how) {
          const outcome: FloorOutcome = { floor: null, unavailable: `no floor: ${how.none}` }
          floors.set(key, outcome)
          return outcome
        }
        yield* progress.line(`[floor${cell.driver === undefined ? "" : ` ${cell.driver}`}] ${mitigationLabel(cell.mitigations)}: the same statements on the raw driver, ${FLOOR_RUNS} runs`)
        const floor = yield* measureFloor({ dbPath, files: config.files, seed: config.seed, replay, parts: how.parts })
        floors.set(key, floor)
        return floor
      })

    // Counted trials: the comparison concurrency's number (c=10), or the other levels'.
    const countedAt = (concurrency: number) =>
      concurrency === plan.comparisonAt.concurrency ? config.trials : config.otherTrials
    const trialTag = (i: number, counted = config.trials) =>
      i < config.warmup ? `warm-up ${i + 1}` : `trial ${i - config.warmup + 1}/${counted}`
    const counted = (i: number) => i >= config.warmup
    const combine = (trials: ReadonlyArray<Trial>, cell: TrialCell) =>
      Effect.flatMap(floorOf(cell), (floor) => combineTrials(trials, { warmup: config.warmup, seed: config.seed }, floor))

    // Before/after at c=10 zero, in rounds: a baseline trial, then one of
    // each compared set (A B C D A B C D ...), so that drift on the machine
    // hits every side alike and one baseline series serves every step.
    const measureSteps = (sets: ReadonlyArray<ReadonlyArray<string>>, prefix: string) =>
      Effect.gen(function*() {
        const at = plan.comparisonAt
        const before: Array<Trial> = []
        const after = sets.map((): Array<Trial> => [])
        const name = sets.length === 1 ? `compare ${mitigationLabel(sets[0] ?? [])}` : "ladder"
        for (let i = 0; i < config.warmup + config.trials; i++) {
          const tag = `[${prefix}${name}] ${trialTag(i)}`
          const a = yield* trial({ ...at, mitigations: [] }, tag, i)
          if (counted(i)) before.push(a)
          for (const [k, mitigations] of sets.entries()) {
            const b = yield* trial({ ...at, mitigations }, tag, i)
            if (counted(i)) after[k]?.push(b)
          }
        }
        const beforeRun = yield* combine(before, { ...at, mitigations: [] })
        return yield* Effect.forEach(sets, (mitigations, k) =>
          Effect.map(combine(after[k] ?? [], { ...at, mitigations }), (afterRun): Step => ({
            mitigation: mitigationLabel(mitigations),
            mitigations,
            before: beforeRun,
            after: afterRun,
            rows: compareSeries(beforeRun, afterRun, { noise: config.noise, seed: config.seed }),
            meetsThreshold1: afterRun.integrity.ok && afterRun.elapsedSeconds <= config.thresholdZeroSeconds
          })))
      })
    // Every step at once (full mode), or one at a time as the ladder walks (first mode).
    const together = plan.comparisons?.mode === "full" ? plan.comparisons.steps : null

    // The matrix: warm-ups discarded, then the counted trials, one configuration after another.
    const premeasured = new Map<string, Step>()
    const remember = (steps: ReadonlyArray<Step>) => {
      for (const step of steps) premeasured.set(step.mitigation, step)
      return steps
    }
    const runs = collected.runs
    const firstSet = plan.comparisons?.steps[0]
    for (const [index, cell] of plan.cells.entries()) {
      const position = `${index + 1}/${plan.cells.length}`
      yield* Effect.logDebug(`configuration ${position}: c=${cell.concurrency} ${cell.profile.name}`)
      if (firstSet !== undefined && cell.sharedSide !== null) {
        const [step] = remember(yield* measureSteps(together ?? [firstSet], `${position} + `))
        if (step !== undefined) runs.push(step[cell.sharedSide])
        continue
      }
      const trials: Array<Trial> = []
      const n = countedAt(cell.concurrency)
      for (let i = 0; i < config.warmup + n; i++) {
        const t = yield* trial(cell, `[${position}] ${trialTag(i, n)}`, i)
        if (counted(i)) trials.push(t)
      }
      runs.push(yield* combine(trials, cell))
    }

    yield* Effect.logDebug("comparisons")
    if (together !== null && premeasured.size === 0) remember(yield* measureSteps(together, ""))
    const comparisons = plan.comparisons === null
      ? null
      : yield* walkLadder(plan.comparisons.steps, plan.comparisons.mode, (mitigations) => {
        const measured = premeasured.get(mitigationLabel(mitigations))
        return measured === undefined
          ? Effect.flatMap(measureSteps([mitigations], ""), ([step]) => step === undefined ? Effect.die("no step measured") : Effect.succeed(step))
          : Effect.succeed(measured)
      })

    // The contrast: the baseline at the comparison configuration on another driver, with its own floor.
    const contrast = target.contrast == null ? null : yield* Effect.gen(function*() {
      const name = target.contrast?.name ?? ""
      const cell: TrialCell = { ...plan.comparisonAt, mitigations: [], driver: name }
      yield* Effect.logDebug(`contrast: ${name}`)
      const trials: Array<Trial> = []
      for (let i = 0; i < config.warmup + config.trials; i++) {
        const t = yield* trial(cell, `[contrast ${name}] ${trialTag(i)}`, i)
        if (counted(i)) trials.push(t)
      }
      return { driver: name, run: yield* combine(trials, cell) }
    }).pipe(Effect.provide(target.contrast.context))

    yield* Effect.logDebug("verdicts")
    const environment = yield* Fiber.join(withCheckout)
    const doc = documentOf(config, target, { environment, runs, comparisons, contrast, partial: false }, registry)
    return { doc, trace }
  })

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
  const drivers = describeDrivers([environment.driver, ...(contrast === null ? [] : [contrast.driver])], registry.drivers)
  const answer = answerOf({ runs, comparisons, driver: environment.driver, thresholds: verdicts.thresholds, contrast, drivers })
  return {
    $schema: SCHEMA_ID,
    schemaVersion: SCHEMA_VERSION,
    createdAt: target.createdAt,
    partial: measured.partial,
    environment,
    config: {
      files: config.files,
      concurrency: config.concurrency,
      profiles: config.profiles,
      profileDefinitions: plan.profiles,
      realisticDelaySeconds: config.realisticDelaySeconds,
      quick: config.quick,
      seed: config.seed,
      db: target.dbLabel,
      thresholdZeroSeconds: config.thresholdZeroSeconds,
      thresholdRealisticSeconds: config.thresholdRealisticSeconds,
      store: config.store,
      poolSize: config.poolSize,
      workers: processesOf(config),
      driver: environment.driver,
      contrast: contrast?.driver ?? null,
      mitigations: config.mitigations,
      mitigation: mitigationLabel(config.mitigations),
      ladder: config.ladder,
      trials: config.trials,
      otherTrials: config.otherTrials,
      warmup: config.warmup,
      noise: config.noise,
      batchSize: config.batchSize,
      failBatch: config.failBatch,
      clock: config.clock,
      scenario: config.scenario,
      maxAttempts: config.maxAttempts,
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
    contrast
  }
}
