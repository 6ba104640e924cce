/**
 * The whole benchmark: every configuration of the matrix measured in turn on
 * one database, then the gate's analyses over the results. Returns the result
 * document that every report renders.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import { Clock, Effect } from "effect"
import { runExperiment } from "../actor/experiment.ts"
import { baseline } from "../actor/strategy.ts"
import { CALLS_PER_FILE, profile as makeProfile, type ProfileName } from "../api/profiles.ts"
import type { BenchConfig } from "../config.ts"
import { collectEnvironment, type Environment } from "../environment.ts"
import { SqliteDriver } from "../sqlite/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { type ForeignDatabase, migrate, sqliteVersion } from "../store/store.ts"
import { storeError } from "../store/transaction.ts"
import { type Bottleneck, bottleneckOf, primaryRun } from "./bottleneck.ts"
import { type Gate, gateOf, sc1, sc2, sc3 } from "./gate.ts"
import { TRANSITIONS_PER_FILE } from "./integrity.ts"
import { type RunResult, toRunResult } from "./run.ts"
import { type ProfileScaling, scalingOf } from "./scaling.ts"
import { evaluateThresholds, type ThresholdResult } from "./thresholds.ts"

export const SCHEMA_VERSION = 1

export interface BenchResult {
  readonly schemaVersion: typeof SCHEMA_VERSION
  readonly createdAt: string
  readonly environment: Environment
  readonly config: {
    readonly files: number
    readonly concurrency: ReadonlyArray<number>
    readonly profiles: ReadonlyArray<ProfileName>
    readonly realisticDelaySeconds: number
    readonly quick: boolean
    readonly seed: number
    readonly db: string
    readonly thresholdZeroSeconds: number
    readonly thresholdRealisticSeconds: number
    readonly driver: string
    readonly mitigation: string
    readonly transitionsPerFile: number
    readonly apiCallsPerFile: number
  }
  readonly runs: ReadonlyArray<RunResult>
  readonly bottleneck: Bottleneck | null
  readonly thresholds: ReadonlyArray<ThresholdResult>
  readonly scaling: ReadonlyArray<ProfileScaling>
  readonly integrity: { readonly ok: boolean; readonly failedRuns: ReadonlyArray<string> }
  readonly gate: Gate
}

export interface Matrix {
  readonly config: BenchConfig
  /** Where the database lives; `dbLabel` is what the result records ("temporary" for the default). */
  readonly dbPath: string
  readonly dbLabel: string
  /** Called after each configuration, e.g. to print progress. */
  readonly onRun: (run: RunResult, index: number, total: number) => Effect.Effect<void>
}

const withSetupConnection = <A, E>(dbPath: string, use: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.flatMap(SqliteDriver, (driver) =>
      Effect.flatMap(driver.open(dbPath).pipe(Effect.mapError(storeError("open database"))), use))
  )

export const runBench = (matrix: Matrix): Effect.Effect<BenchResult, StoreError | ForeignDatabase, SqliteDriver> =>
  Effect.gen(function*() {
    const { config, dbPath } = matrix
    const driver = yield* SqliteDriver
    // Refuse a foreign database before any configuration runs.
    const version = yield* withSetupConnection(dbPath, (sql) => Effect.zipRight(migrate(sql), sqliteVersion(sql)))
    const environment = yield* collectEnvironment({ sqliteVersion: version, driver: driver.name })
    const createdAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    const configurations = config.profiles.flatMap((name) => config.concurrency.map((c) => ({ name, c })))
    const runs: Array<RunResult> = []
    for (const [index, { name, c }] of configurations.entries()) {
      const profile = makeProfile(name, config.realisticDelaySeconds)
      const measurement = yield* runExperiment({
        dbPath,
        files: config.files,
        concurrency: c,
        profile,
        seed: config.seed,
        strategy: baseline(dbPath),
        labels: { run: `${createdAt}#${index}`, profile: name, concurrency: String(c), mitigation: "baseline" }
      })
      const run = toRunResult({
        concurrency: c,
        profile: name,
        delaySeconds: profile.name === "zero" ? 0 : profile.delaySeconds,
        mitigation: "baseline",
        files: config.files,
        measurement
      })
      runs.push(run)
      yield* matrix.onRun(run, index, configurations.length)
    }
    const primary = primaryRun(runs)
    const bottleneck = primary === undefined ? null : bottleneckOf(primary)
    const thresholds = evaluateThresholds(
      runs,
      { zeroSeconds: config.thresholdZeroSeconds, realisticSeconds: config.thresholdRealisticSeconds },
      config.files
    )
    const failedRuns = runs.filter((r) => !r.integrity.ok).map((r) => `c=${r.concurrency} ${r.profile}`)
    return {
      schemaVersion: SCHEMA_VERSION,
      createdAt,
      environment,
      config: {
        files: config.files,
        concurrency: config.concurrency,
        profiles: config.profiles,
        realisticDelaySeconds: config.realisticDelaySeconds,
        quick: config.quick,
        seed: config.seed,
        db: matrix.dbLabel,
        thresholdZeroSeconds: config.thresholdZeroSeconds,
        thresholdRealisticSeconds: config.thresholdRealisticSeconds,
        driver: driver.name,
        mitigation: "baseline",
        transitionsPerFile: TRANSITIONS_PER_FILE,
        apiCallsPerFile: CALLS_PER_FILE
      },
      runs,
      bottleneck,
      thresholds,
      scaling: scalingOf(runs),
      integrity: { ok: failedRuns.length === 0, failedRuns },
      gate: gateOf({ SC1: sc1(primary), SC2: sc2(bottleneck ?? undefined), SC3: sc3(thresholds) })
    } satisfies BenchResult
  })
