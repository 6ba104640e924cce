/**
 * One configuration, measured: reset the database to N untracked files, run
 * every file's actor at the given concurrency, then read everything back.
 * An observer connection stays open for the whole run, so the WAL is
 * measured as the actors left it, not after a checkpoint-on-close.
 */
import { Effect, Layer } from "effect"
import type { LatencyProfile } from "../api/profiles.ts"
import * as UploadApi from "../api/uploadApi.ts"
import { makeRecorder, type RunLabels } from "../metrics/recorder.ts"
import type { FileSample } from "../metrics/segments.ts"
import { walBytes } from "../sqlite/dbFile.ts"
import { SqliteDriver } from "../sqlite/driver.ts"
import { storeError } from "../store/transaction.ts"
import { type ForeignDatabase, migrate, readAll, seedFiles, type StoredFile } from "../store/store.ts"
import type { StoreError } from "../store/errors.ts"
import type { FileOutcome } from "./fileActor.ts"
import { type FileFailure, runBatch } from "./runner.ts"
import { type StrategyLayer, type StrategyNames, strategyNames } from "./strategy.ts"

export interface ExperimentSpec {
  readonly dbPath: string
  readonly files: number
  readonly concurrency: number
  readonly profile: LatencyProfile
  readonly seed: number
  readonly strategy: StrategyLayer
  readonly labels: RunLabels
}

export interface Measurement {
  readonly elapsedMs: number
  readonly samples: ReadonlyArray<FileSample>
  readonly outcomes: ReadonlyArray<FileOutcome>
  readonly failures: ReadonlyArray<FileFailure>
  readonly maxInFlight: number
  readonly walBytesStart: number
  readonly walBytesEnd: number
  readonly stored: ReadonlyArray<StoredFile>
  readonly strategy: StrategyNames
}

export const runExperiment = (spec: ExperimentSpec): Effect.Effect<Measurement, StoreError | ForeignDatabase, SqliteDriver> =>
  Effect.scoped(
    Effect.gen(function*() {
      const driver = yield* SqliteDriver
      const observer = yield* driver.open(spec.dbPath).pipe(Effect.mapError(storeError("open observer connection")))
      yield* migrate(observer)
      const paths = yield* seedFiles(observer, { files: spec.files, seed: spec.seed })
      const walBytesStart = yield* walBytes(spec.dbPath)
      const recorder = makeRecorder(spec.labels, spec.files)
      const [strategy, batch] = yield* Effect.all([strategyNames, runBatch(paths, spec.concurrency, recorder)]).pipe(
        Effect.provide(Layer.merge(spec.strategy, UploadApi.layer(spec.profile, spec.seed)))
      )
      const walBytesEnd = yield* walBytes(spec.dbPath)
      const stored = yield* readAll(observer)
      return {
        elapsedMs: batch.elapsedMs,
        samples: recorder.samples(),
        outcomes: batch.outcomes,
        failures: batch.failures,
        maxInFlight: batch.maxInFlight,
        strategy,
        walBytesStart,
        walBytesEnd,
        stored
      } satisfies Measurement
    })
  )
