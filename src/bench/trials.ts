/**
 * The trials of one run, as the matrix, the ladder and the contrast ask for
 * them: each trial measured (labelled, spanned when the run exports spans,
 * traced when it is the traced one, its live gauges kept), the storage floor
 * of each configuration measured once from a counted trial's replay, and a
 * configuration's counted trials combined into its run.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { canFail, hasDelay } from "../api/profiles.ts"
import { FLOOR_RUNS, type FloorOutcome, measureFloor } from "../floor/measure.ts"
import { CodeOrigin, firstTrialLine, processCost } from "../metrics/processCost.ts"
import type { LiveShape } from "../metrics/live.ts"
import { trialGauges } from "../metrics/live.ts"
import { recordingTracer, Tracing, traceSpans, type TrialTrace } from "../metrics/trace.ts"
import { floorPlan, mitigationLabel, type Registry } from "../mitigations/registry.ts"
import type { Environment, RunResult, Trial } from "../results/schema.ts"
import { round } from "../metrics/stats.ts"
import { halfWidthShare, type StopReason, stopReason, type StoppingRule } from "../metrics/stopping.ts"
import type { Driver } from "../store/driver.ts"
import type { Calibrator } from "./calibration.ts"
import { StoreError } from "../store/errors.ts"
import { combineTrials } from "./aggregate.ts"
import { type BenchConfig, scaledOut } from "./config.ts"
import type { Cell, Plan } from "./plan.ts"
import type { ProgressShape } from "./progress.ts"
import { describeTrial, measureTrial, type Replay } from "./trial.ts"

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

/** What a run has measured so far. */
export interface Collected {
  environment: Environment | null
  readonly runs: Array<RunResult>
  /** The machine's probes so far, with what they are; null until the run's calibrator exists. */
  calibration: Calibrator | null
}

export const collector = (): Collected => ({ environment: null, runs: [], calibration: null })

/** A configuration as one trial runs it; `driver` names a contrast driver, absent for the run's own. */
export type TrialCell = Omit<Cell, "sharedSide"> & { readonly driver?: string }

/** What every trial of a run shares. */
export interface Session {
  readonly config: BenchConfig
  readonly target: Target
  readonly plan: Plan
  readonly registry: Registry
  /** The run's own driver's name. */
  readonly driver: string
  readonly progress: ProgressShape
  readonly live: LiveShape
  /** Probe the machine after a configuration (`calibration.ts`), named by it. */
  readonly probe: (at: string) => Effect.Effect<void>
}

/** The trial's tag: a warm-up's, or a counted trial's place among `counted` (with a stopping rule, between its least and most). */
export const trialTag = (config: BenchConfig, i: number, counted = config.trials, rule: StoppingRule | null = null): string =>
  i < config.warmup
    ? `warm-up ${i + 1}`
    : rule === null
    ? `trial ${i - config.warmup + 1}/${counted}`
    : `trial ${i - config.warmup + 1} of ${counted}-${rule.maxTrials}`

/** The run's stopping rule for the configurations that decide something (`--target-ci`), or null: a fixed number of trials. */
export const stoppingRuleOf = (config: BenchConfig): StoppingRule | null =>
  config.targetCi === null ? null : { target: config.targetCi, maxTrials: config.maxTrials ?? config.trials }

/**
 * Rounds of trials, `round(i)` measuring one trial of every side: the
 * warm-ups and `n` counted rounds; with a rule, more rounds until every
 * side's interval is within its target or the cap is reached. Each side's
 * counted trials, and why they stopped (null without a rule).
 */
export const inRounds = <E, R>(
  config: BenchConfig,
  n: number,
  rule: StoppingRule | null,
  round: (i: number) => Effect.Effect<ReadonlyArray<Trial>, E, R>
) =>
  Effect.gen(function*() {
    const sides: Array<Array<Trial>> = []
    let stopped: StopReason | null = null
    for (let i = 0; i < config.warmup + n || (rule !== null && stopped === null); i++) {
      const trials = yield* round(i)
      if (i < config.warmup) continue
      trials.forEach((t, k) => (sides[k] ??= []).push(t))
      if (rule !== null && i + 1 >= config.warmup + n) {
        stopped = stopReason(sides.map((side) => side.map((t) => t.elapsedSeconds)), rule, config.seed)
      }
    }
    return { sides, stopped }
  })

/** A side's run with why its trials stopped, when a rule stopped them. */
export const withStop = (run: RunResult, rule: StoppingRule | null, stopped: StopReason | null, seed: number): RunResult =>
  rule === null || stopped === null
    ? run
    : {
      ...run,
      adaptive: {
        reason: stopped,
        halfWidthShare: round(halfWidthShare(run.trialResults.map((t) => t.elapsedSeconds), seed), 6),
        target: rule.target,
        maxTrials: rule.maxTrials
      }
    }

/**
 * A configuration with a config file's mitigation that fails (or dies) says
 * which configuration and whose code.
 */
const namingOwn = (registry: Registry, cell: TrialCell) => <A, E extends { readonly message: string }, R>(run: Effect.Effect<A, E, R>) => {
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

/**
 * The storage floor's key of a configuration: its statements do not depend
 * on the concurrency, nor on the profile when no call can fail, so one floor
 * serves every configuration with the same key.
 */
const floorKey = (cell: TrialCell) => `${cell.driver ?? ""}|${mitigationLabel(cell.mitigations)}|${canFail(cell.profile) ? cell.profile.name : "-"}`

/** A trial in its span (`--otlp`, or the traced trial), its attributes those of the trial's metric series. */
const spanned = (s: Session, cell: TrialCell, tag: string, run: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.withSpan("trial", {
      attributes: {
        // The run label of the trial's metric series: a span and its series are found by each other.
        run,
        trial: tag,
        profile: cell.profile.name,
        concurrency: cell.concurrency,
        mitigation: mitigationLabel(cell.mitigations),
        driver: cell.driver ?? s.driver
      }
    }),
    Effect.provideService(Tracing, { enabled: true })
  )

/** The storage floor of a configuration, measured once per key from a counted trial's replay (`replays`). */
const floorsOf = (s: Session, replays: ReadonlyMap<string, Replay>) => {
  const { config, target } = s
  const floors = new Map<string, FloorOutcome>()
  return (cell: TrialCell) =>
    Effect.gen(function*() {
      const key = floorKey(cell)
      const known = floors.get(key)
      if (known !== undefined) return known
      const replay = replays.get(key)
      if (replay === undefined) return { floor: null, unavailable: "no counted trial to replay" } satisfies FloorOutcome
      if ("unavailable" in replay) return { floor: null, unavailable: replay.unavailable } satisfies FloorOutcome
      const floorCtx = { dbPath: target.dbPath, batch: { batchSize: config.batchSize, failBatch: config.failBatch }, poolSize: config.poolSize }
      const how = floorPlan(s.registry, cell.mitigations, floorCtx)
      if ("none" in how) {
        const outcome: FloorOutcome = { floor: null, unavailable: `no floor: ${how.none}` }
        floors.set(key, outcome)
        return outcome
      }
      yield* s.progress.line(
        `[floor${cell.driver === undefined ? "" : ` ${cell.driver}`}] ${mitigationLabel(cell.mitigations)}: the same statements on the raw driver, ${FLOOR_RUNS} runs`
      )
      const floor = yield* measureFloor({ dbPath: target.dbPath, files: config.files, seed: config.seed, replay, parts: how.parts })
      floors.set(key, floor)
      return floor
    })
}

/** The trials of a run: `trial` measures one, `combine` a configuration's counted ones, `trace` the traced one's spans. */
export const makeTrials = (s: Session) => {
  const { config, plan, target } = s
  let runCounter = 0
  let trace: TrialTrace | null = null
  const replays = new Map<string, Replay>()
  const floorOf = floorsOf(s, replays)
  // The traced trial: the first counted one at the comparison configuration (or of the first configuration).
  const tracedCell = plan.cells.find((c) =>
    c.concurrency === plan.comparisonAt.concurrency && c.profile.name === plan.comparisonAt.profile.name
  ) ?? plan.cells[0]
  const wantsTrace = (cell: TrialCell, i: number) =>
    target.trace === true && trace === null && i === config.warmup && tracedCell !== undefined && cell.driver === undefined &&
    cell.concurrency === tracedCell.concurrency && cell.profile.name === tracedCell.profile.name &&
    mitigationLabel(cell.mitigations) === mitigationLabel(tracedCell.mitigations)
  const counted = (i: number) => i >= config.warmup

  const measureOne = (cell: TrialCell, label: string, run: string) =>
    measureTrial({
      dbPath: target.dbPath,
      files: config.files,
      concurrency: cell.concurrency,
      profile: cell.profile,
      mitigations: cell.mitigations,
      batch: { batchSize: config.batchSize, failBatch: config.failBatch },
      poolSize: config.poolSize,
      // A contrast driver's trials run here: the runners run the run's own driver.
      onRunners: cell.driver === undefined && scaledOut(config) !== null,
      seed: config.seed,
      clock: config.clock,
      runLabel: run,
      retry: { maxAttempts: config.maxAttempts, baseSeconds: config.retryBaseSeconds },
      scenario: config.scenario,
      onFileDone: s.progress.files(label, {
        index: runCounter,
        planned: plan.trials.count,
        upperBound: plan.trials.upperBound,
        lowerBound: plan.trials.lowerBound,
        simulated: config.clock === "warp" && hasDelay(cell.profile)
      })
    })

  const trial = (cell: TrialCell, tag: string, i: number) =>
    Effect.gen(function*() {
      runCounter += 1
      if (runCounter === 1) yield* Effect.logDebug(firstTrialLine(yield* processCost, yield* CodeOrigin))
      const label = `${tag} c=${cell.concurrency} ${cell.profile.name} ${mitigationLabel(cell.mitigations)}`
      const run = `${target.createdAt}#${runCounter}`
      const recording = wantsTrace(cell, i) ? recordingTracer(yield* Effect.tracer) : null
      const running = s.live.enabled
        ? trialGauges.running({
          run,
          profile: cell.profile.name,
          concurrency: String(cell.concurrency),
          mitigation: mitigationLabel(cell.mitigations),
          driver: cell.driver ?? s.driver,
          trial: tag
        })
        : null
      running?.unsafeUpdate(1, [])
      const { trial: result, replay } = yield* measureOne(cell, label, run).pipe(
        recording !== null || target.spans === true ? spanned(s, cell, tag, run) : (effect) => effect,
        recording === null ? (effect) => effect : Effect.withTracer(recording),
        namingOwn(s.registry, cell),
        Effect.ensuring(Effect.sync(() => running?.unsafeUpdate(0, [])))
      )
      if (s.live.enabled) trialGauges.done.unsafeUpdate(1, [])
      if (recording !== null) trace = { label, slots: cell.concurrency, spans: traceSpans(recording.spans()) }
      yield* s.progress.line(describeTrial(tag, result))
      // A trial that lost a runner has files taken up midway: its events are no whole lifecycle to replay.
      if (counted(i) && (result.cluster?.lost.length ?? 0) === 0) replays.set(floorKey(cell), replay)
      return result
    })

  const combine = (trials: ReadonlyArray<Trial>, cell: TrialCell) =>
    Effect.flatMap(floorOf(cell), (floor) => combineTrials(trials, { warmup: config.warmup, seed: config.seed }, floor))

  /**
   * A configuration's warm-ups and `n` counted trials, one after another,
   * combined into its run; with a rule (a configuration that decides
   * something), more until its interval is within the target or the cap.
   * The machine is probed after it, or after each counted round
   * (`probeRounds`, for a configuration whose figures decide something).
   */
  const series = (cell: TrialCell, prefix: string, n: number, rule: StoppingRule | null = null, probeRounds = false) =>
    Effect.gen(function*() {
      const name = `c=${cell.concurrency} ${cell.profile.name} ${mitigationLabel(cell.mitigations)}` +
        (cell.driver === undefined ? "" : ` on ${cell.driver}`)
      const { sides, stopped } = yield* inRounds(config, n, rule, (i) =>
        Effect.map(trial(cell, `${prefix} ${trialTag(config, i, n, rule)}`, i), (t) => [t]).pipe(
          Effect.tap(() => (probeRounds && counted(i) ? s.probe(`${name}, round ${i - config.warmup + 1}`) : Effect.void))
        ))
      if (!probeRounds) yield* s.probe(name)
      return withStop(yield* combine(sides[0] ?? [], cell), rule, stopped, config.seed)
    })

  return { trial, combine, series, trace: (): TrialTrace | null => trace }
}

export type Trials = ReturnType<typeof makeTrials>
