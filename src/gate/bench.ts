/**
 * The whole benchmark: the matrix of configurations (each measured over
 * warm-up and counted trials), the mitigation comparisons at c=10 zero
 * (the ladder, or the --mitigations set against the baseline, trials
 * interleaved), then the gate's analyses. Returns the result document that
 * every report renders.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { FileProgress } from "../actor/runner.ts"
import { LADDER, type Mitigation, mitigationLabel } from "../actor/strategy.ts"
import { CALLS_PER_FILE, type LatencyProfile, realistic, zero } from "../api/profiles.ts"
import type { BenchConfig } from "../config.ts"
import { collectEnvironment, type Environment } from "../environment.ts"
import { SqliteDriver } from "../sqlite/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { type ForeignDatabase, migrate, sqliteVersion } from "../store/store.ts"
import { storeError } from "../store/transaction.ts"
import { type Bottleneck, bottleneckOf, PRIMARY, primaryRun } from "./bottleneck.ts"
import { compareSeries } from "./compare.ts"
import { type Gate, gateOf, sc1, sc2, sc3 } from "./gate.ts"
import { TRANSITIONS_PER_FILE } from "./integrity.ts"
import { type LadderMode, type LadderResult, type Step, walkLadder } from "./ladder.ts"
import type { RunResult, Trial } from "./run.ts"
import { combineTrials, describeTrial, measureTrial } from "./trial.ts"
import { type ProfileScaling, scalingOf } from "./scaling.ts"
import { evaluateThresholds, type ThresholdResult } from "./thresholds.ts"

export const SCHEMA_VERSION = 2

export interface OutputFiles {
  readonly results: string
  readonly mitigation: string
  readonly summary: string
}

export interface BenchResult {
  readonly schemaVersion: typeof SCHEMA_VERSION
  readonly createdAt: string
  readonly environment: Environment
  readonly config: {
    readonly files: number
    readonly concurrency: ReadonlyArray<number>
    readonly profiles: ReadonlyArray<string>
    /** Every profile run, as run: its latency model per call type and rate limit. */
    readonly profileDefinitions: ReadonlyArray<LatencyProfile>
    readonly realisticDelaySeconds: number
    readonly quick: boolean
    readonly seed: number
    readonly db: string
    readonly thresholdZeroSeconds: number
    readonly thresholdRealisticSeconds: number
    readonly driver: string
    readonly mitigations: ReadonlyArray<Mitigation>
    /** The label of the set applied to the matrix ("baseline" when none). */
    readonly mitigation: string
    readonly ladder: BenchConfig["ladder"]
    readonly trials: number
    readonly warmup: number
    readonly noise: number
    readonly batchSize: number
    readonly failBatch: number | null
    readonly clock: BenchConfig["clock"]
    readonly scenario: BenchConfig["scenario"]
    readonly maxAttempts: number
    readonly retryBaseSeconds: number
    readonly transitionsPerFile: number
    readonly apiCallsPerFile: number
    /** Where before/after comparisons are measured. */
    readonly comparisonAt: { readonly concurrency: number; readonly profile: string }
  }
  readonly runs: ReadonlyArray<RunResult>
  readonly bottleneck: Bottleneck | null
  readonly thresholds: ReadonlyArray<ThresholdResult>
  readonly scaling: ReadonlyArray<ProfileScaling>
  /** The before/after comparisons: ladder steps, or the --mitigations set; null with --ladder off and no set. */
  readonly comparisons: LadderResult | null
  readonly integrity: { readonly ok: boolean; readonly failedRuns: ReadonlyArray<string> }
  readonly files: OutputFiles
  readonly gate: Gate
}

export interface Matrix {
  readonly config: BenchConfig
  /** Where the database lives; `dbLabel` is what the result records ("temporary" for the default). */
  readonly dbPath: string
  readonly dbLabel: string
  readonly createdAt: string
  /** The names the result files will be written under (recorded in the gate's evidence). */
  readonly files: OutputFiles
  /** Progress lines, e.g. for stderr. */
  readonly progress: (line: string) => Effect.Effect<void>
  /** Live per-file progress of the trial called `label`, for a terminal; null when nobody watches. */
  readonly fileProgress: ((label: string) => FileProgress) | null
}

const withSetupConnection = <A, E>(dbPath: string, use: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.flatMap(SqliteDriver, (driver) =>
      Effect.flatMap(driver.open(dbPath).pipe(Effect.mapError(storeError("open database"))), use))
  )

export const runBench = (matrix: Matrix): Effect.Effect<BenchResult, StoreError | ForeignDatabase, SqliteDriver> =>
  Effect.gen(function*() {
    const { config, dbPath, createdAt } = matrix
    const driver = yield* SqliteDriver
    // Refuse a foreign database before any configuration runs.
    const version = yield* withSetupConnection(dbPath, (sql) => Effect.zipRight(migrate(sql), sqliteVersion(sql)))
    const environment = yield* collectEnvironment({ sqliteVersion: version, driver: driver.name })
    const batch = { batchSize: config.batchSize, failBatch: config.failBatch }
    let runCounter = 0

    /** One trial of one configuration, reported on the progress line. */
    const profileNamed = (name: string): LatencyProfile =>
      name === "zero" ? zero : name === config.customProfile?.name ? config.customProfile : realistic(config.realisticDelaySeconds)

    const trial = (concurrency: number, name: string, mitigations: ReadonlyArray<Mitigation>, tag: string) =>
      Effect.gen(function*() {
        runCounter += 1
        const result = yield* measureTrial({
          dbPath,
          files: config.files,
          concurrency,
          profile: profileNamed(name),
          mitigations,
          batch,
          seed: config.seed,
          clock: config.clock,
          runLabel: `${createdAt}#${runCounter}`,
          retry: { maxAttempts: config.maxAttempts, baseSeconds: config.retryBaseSeconds },
          scenario: config.scenario,
          onFileDone: matrix.fileProgress?.(`${tag} c=${concurrency} ${name} ${mitigationLabel(mitigations)}`)
        })
        yield* matrix.progress(describeTrial(tag, result))
        return result
      })

    const trialTag = (i: number) =>
      i < config.warmup ? `warm-up ${i + 1}` : `trial ${i - config.warmup + 1}/${config.trials}`

    const combine = (trials: ReadonlyArray<Trial>) => combineTrials(trials, { warmup: config.warmup, seed: config.seed })

    // Before/after at c=10 zero: baseline and the mitigated stack alternate
    // (A B A B ...) so that drift on the machine hits both sides alike.
    const measureStep = (mitigations: ReadonlyArray<Mitigation>, prefix: string) =>
      Effect.gen(function*() {
        const before: Array<Trial> = []
        const after: Array<Trial> = []
        const label = mitigationLabel(mitigations)
        for (let i = 0; i < config.warmup + config.trials; i++) {
          const warm = i < config.warmup
          const tag = `[${prefix}compare ${label}] ${trialTag(i)}`
          const a = yield* trial(PRIMARY.concurrency, PRIMARY.profile, [], tag)
          const b = yield* trial(PRIMARY.concurrency, PRIMARY.profile, mitigations, tag)
          if (!warm) {
            before.push(a)
            after.push(b)
          }
        }
        const beforeRun = yield* combine(before)
        const afterRun = yield* combine(after)
        return {
          mitigation: label,
          mitigations,
          before: beforeRun,
          after: afterRun,
          rows: compareSeries(beforeRun, afterRun, { noise: config.noise, seed: config.seed }),
          meetsThreshold1: afterRun.integrity.ok && afterRun.elapsedSeconds <= config.thresholdZeroSeconds
        } satisfies Step
      })

    // The comparisons to make: the ladder's steps, or the --mitigations set against the baseline.
    const ladder: { readonly steps: ReadonlyArray<ReadonlyArray<Mitigation>>; readonly mode: LadderMode } | null =
      config.ladder !== "off"
        ? { steps: LADDER, mode: config.ladder }
        : config.mitigations.length > 0
        ? { steps: [config.mitigations], mode: "full" }
        : null
    // The matrix's c=10 zero configuration is one side of the first
    // comparison (the baseline, or the --mitigations set when that is what is
    // compared): it is measured once, as that side of the alternating series,
    // rather than twice.
    const firstSet = ladder?.steps[0]
    const matrixLabel = mitigationLabel(config.mitigations)
    const sharedSide = firstSet === undefined
      ? null
      : matrixLabel === "baseline"
      ? "before"
      : matrixLabel === mitigationLabel(firstSet)
      ? "after"
      : null
    const premeasured = new Map<string, Step>()

    // The matrix: warm-ups discarded, then the counted trials, one configuration after another.
    const configurations = config.profiles.flatMap((name) => config.concurrency.map((c) => ({ name, c })))
    const runs: Array<RunResult> = []
    for (const [index, { name, c }] of configurations.entries()) {
      const position = `${index + 1}/${configurations.length}`
      if (firstSet !== undefined && sharedSide !== null && c === PRIMARY.concurrency && name === PRIMARY.profile) {
        const step = yield* measureStep(firstSet, `${position} + `)
        premeasured.set(step.mitigation, step)
        runs.push(step[sharedSide])
        continue
      }
      const trials: Array<Trial> = []
      for (let i = 0; i < config.warmup + config.trials; i++) {
        const warm = i < config.warmup
        const t = yield* trial(c, name, config.mitigations, `[${position}] ${trialTag(i)}`)
        if (!warm) trials.push(t)
      }
      runs.push(yield* combine(trials))
    }

    const comparisons: LadderResult | null = ladder === null
      ? null
      : yield* walkLadder(
        ladder.steps,
        ladder.mode,
        (mitigations) => {
          const measured = premeasured.get(mitigationLabel(mitigations))
          return measured === undefined ? measureStep(mitigations, "") : Effect.succeed(measured)
        }
      )

    const primary = primaryRun(runs)
    const bottleneck = primary === undefined ? null : bottleneckOf(primary)
    const thresholds = evaluateThresholds(
      runs,
      { zeroSeconds: config.thresholdZeroSeconds, realisticSeconds: config.thresholdRealisticSeconds },
      config.files
    )
    // The path is decided by the baseline at c=10 zero: measured alongside the
    // first comparison, or in the matrix when no comparison ran.
    const baselineT1 = comparisons?.steps[0]?.before.elapsedSeconds ??
      (config.mitigations.length === 0
        ? thresholds.find((t) => t.name === "Threshold 1")?.measuredSeconds ?? null
        : null)
    const path = baselineT1 === null ? null : baselineT1 <= config.thresholdZeroSeconds ? "A" : "B"
    const failedRuns = [
      ...runs.filter((r) => !r.integrity.ok).map((r) => `c=${r.concurrency} ${r.profile} ${r.mitigation}`),
      ...(comparisons?.steps ?? []).flatMap((st) =>
        [st.before, st.after].filter((r) => !r.integrity.ok).map((r) => `comparison c=${r.concurrency} ${r.profile} ${r.mitigation}`)
      )
    ]
    return {
      schemaVersion: SCHEMA_VERSION,
      createdAt,
      environment,
      config: {
        files: config.files,
        concurrency: config.concurrency,
        profiles: config.profiles,
        profileDefinitions: [...new Set([...config.profiles, PRIMARY.profile])].map(profileNamed),
        realisticDelaySeconds: config.realisticDelaySeconds,
        quick: config.quick,
        seed: config.seed,
        db: matrix.dbLabel,
        thresholdZeroSeconds: config.thresholdZeroSeconds,
        thresholdRealisticSeconds: config.thresholdRealisticSeconds,
        driver: driver.name,
        mitigations: config.mitigations,
        mitigation: mitigationLabel(config.mitigations),
        ladder: config.ladder,
        trials: config.trials,
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
        comparisonAt: PRIMARY
      },
      runs,
      bottleneck,
      thresholds,
      scaling: scalingOf(runs),
      comparisons,
      integrity: { ok: failedRuns.length === 0, failedRuns },
      files: matrix.files,
      gate: gateOf(
        {
          SC1: sc1(primary),
          SC2: sc2(bottleneck ?? undefined, comparisons?.steps ?? [], comparisons === null ? null : matrix.files.mitigation),
          SC3: sc3(thresholds, comparisons, path)
        },
        path
      )
    } satisfies BenchResult
  })
