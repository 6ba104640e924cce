/**
 * One configuration, measured: reset the database to N untracked files, build
 * the strategy, run every file's actor at the given concurrency, flush the
 * writer, recover any files a failed commit left behind, tear the strategy
 * down, then read everything back. Elapsed time runs from building the
 * strategy to its teardown, so that every cost of a strategy (opening a
 * shared connection, a final batch commit, a recovery pass) is in it.
 * An observer connection stays open for the whole run, so the WAL is
 * measured as the actors left it, not after a checkpoint-on-close.
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ApiClock from "../clock/apiClock.ts"
import type { ClockMode } from "../clock/apiClock.ts"
import * as UploadApi from "../api/uploadApi.ts"
import * as Retry from "./retry.ts"
import * as ScenarioLayer from "./scenario.ts"
import { makeRecorder } from "../metrics/recorder.ts"
import { timed } from "../metrics/timing.ts"
import { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { type ForeignDatabase, migrate, readAll, readLog, resetLog, seedFiles, type StoredFile } from "../store/store.ts"
import { storeError } from "../store/transaction.ts"
import type { FileOutcome } from "./fileActor.ts"
import { type FileFailure, runBatch } from "./runner.ts"
import type { Recovery } from "../results/schema.ts"
import { type StrategyLayer, strategyNames } from "./strategy.ts"
import { Writer } from "./writer.ts"
import * as Option from "effect/Option"
import { Executor } from "./executor.ts"
import type { ActorsPart, ExperimentSpec } from "./part.ts"

export type { ActorsPart, ExperimentSpec, PartsSpec } from "./part.ts"

/** A measured run: its actors' part, and what the run's process read around it. */
export interface Measurement extends ActorsPart {
  readonly walBytesStart: number
  readonly walBytesEnd: number
  /** Checkpoints that restarted the WAL during the run (null when it could not be read). */
  readonly walCheckpoints: number | null
  readonly stored: ReadonlyArray<StoredFile>
  readonly clock: ClockMode
}

const MAX_RECOVERY_PASSES = 3

const believedDiffers = (outcome: FileOutcome, row: StoredFile | undefined) =>
  row === undefined || row.state !== outcome.machine.state || row.version !== outcome.machine.version

export const runExperiment = (spec: ExperimentSpec): Effect.Effect<Measurement, StoreError | ForeignDatabase, Driver> =>
  Effect.scoped(
    Effect.gen(function*() {
      const driver = yield* Driver
      const observer = yield* driver.open(spec.dbPath).pipe(Effect.mapError(storeError("open observer connection")))
      yield* migrate(observer)
      const paths = spec.resume === true
        ? (yield* readAll(observer)).map((row) => row.path)
        : yield* seedFiles(observer, { files: spec.files, seed: spec.seed })
      yield* resetLog(observer)
      const logBefore = yield* readLog(spec.dbPath)
      const recorder = makeRecorder(spec.labels)
      const executor = spec.parts === undefined ? Option.none() : yield* Effect.serviceOption(Executor)
      // On the runners when the level has an actor for each (a level with fewer runs here, as c=1 does).
      const part = Option.isSome(executor) && spec.parts !== undefined && spec.concurrency >= executor.value.runners.length
        ? yield* executor.value.runTrial(spec, spec.parts, paths, recorder)
        : yield* runActors(spec, spec.strategy, paths, recorder, observer)
      const logAfter = yield* readLog(spec.dbPath)
      const walCheckpoints = logBefore.salt === null || logAfter.salt === null ? null : (logAfter.salt - logBefore.salt + 2 ** 32) % 2 ** 32
      const stored = yield* readAll(observer)
      // The part's samples are the recorder's (a runner's are recorded here as they come back).
      return { ...part, walBytesStart: logBefore.bytes, walBytesEnd: logAfter.bytes, walCheckpoints, stored, clock: spec.clock } satisfies Measurement
    })
  )

/**
 * The actors' part of a run: the strategy built, every file of `paths` run
 * at the spec's concurrency (recovered if a commit failed), the strategy
 * torn down, all of it timed on the run's clock (simulated time under the
 * warp), in the run's own process. (On runners, `cluster/runner.ts` opens
 * and closes a trial the same way around each file's message.)
 */
export const runActors = (
  spec: Pick<ExperimentSpec, "profile" | "seed" | "retry" | "scenario" | "clock" | "concurrency" | "onFileDone" | "labels">,
  strategyLayer: StrategyLayer,
  paths: ReadonlyArray<string>,
  recorder: ReturnType<typeof makeRecorder>,
  observer: SqlClient
): Effect.Effect<ActorsPart, StoreError, Driver> =>
  Effect.gen(function*() {
    const apiClock = ApiClock.make(spec.clock)
    // Everything from here to the end of the strategy's teardown is timed
    // on the run's clock: simulated time under the warp.
    const [elapsedMs, run] = yield* timed(
      Effect.scoped(
        Effect.flatMap(
          Layer.build(
            Layer.mergeAll(
              strategyLayer,
              UploadApi.layer(spec.profile, spec.seed),
              Retry.layer({ ...spec.retry, seed: spec.seed }),
              ScenarioLayer.layer(spec.scenario, spec.seed)
            )
          ),
          (context) => Effect.provide(runWithRecovery(spec, paths, recorder, observer), context)
        )
      )
    ).pipe(Effect.provideService(ApiClock.ApiClock, apiClock), Effect.withClock(apiClock.clock))
    const { skippedMs } = yield* apiClock.skipped
    return { ...run, elapsedMs, skippedMs, samples: recorder.samples(), workers: 1 }
  })

const runWithRecovery = (
  spec: Pick<ExperimentSpec, "concurrency" | "onFileDone" | "labels">,
  paths: ReadonlyArray<string>,
  recorder: ReturnType<typeof makeRecorder>,
  observer: SqlClient
) => Effect.flatMap(runBatch(paths, spec.concurrency, recorder, spec.onFileDone ?? null), (first) => afterFirstPass(spec, first, observer))

/** What a first pass over the files leaves for recovery and the record. */
export interface FirstPass {
  readonly outcomes: ReadonlyArray<FileOutcome>
  readonly failures: ReadonlyArray<FileFailure>
  readonly maxInFlight: number
}

/**
 * After the first pass (its writer flushed): if a commit failed, the files it
 * left behind (their stored row not what their actor believed, or their actor
 * failed) redone from the store, in up to three passes; then what the strategy
 * saw: its names, the writer's ledger, the API's answers. Runs with the
 * strategy's services, in the run's process or on a runner.
 */
export const afterFirstPass = (
  spec: Pick<ExperimentSpec, "concurrency" | "labels">,
  first: FirstPass,
  observer: SqlClient
) =>
  Effect.gen(function*() {
    const strategy = yield* strategyNames
    const writer = yield* Writer
    const outcomes = new Map(first.outcomes.map((o) => [o.path, o]))
    let failures = first.failures
    let stats = yield* writer.stats
    let recovery: Recovery | null = null
    if (stats.failedCommits > 0) {
      const [seconds, repaired] = yield* timed(
        Effect.gen(function*() {
          const stored = new Map((yield* readAll(observer)).map((row) => [row.path, row]))
          const inconsistent = [...outcomes.values()].filter((o) => believedDiffers(o, stored.get(o.path)))
          const inconsistentFiles = inconsistent.length
          const failedFiles = failures.length
          let redo = [...new Set([...inconsistent.map((o) => o.path), ...failures.map((f) => f.path)])]
          const redone = new Set<string>()
          let redoneApiCalls = 0
          let passes = 0
          while (redo.length > 0 && passes < MAX_RECOVERY_PASSES) {
            passes += 1
            const pass = yield* runBatch(
              redo,
              spec.concurrency,
              makeRecorder({ ...spec.labels, phase: `recovery-${passes}` })
            )
            for (const o of pass.outcomes) {
              outcomes.set(o.path, o)
              redoneApiCalls += o.apiCalls
            }
            for (const path of redo) redone.add(path)
            failures = pass.failures
            const after = new Map((yield* readAll(observer)).map((row) => [row.path, row]))
            redo = [
              ...new Set([
                ...[...outcomes.values()].filter((o) => believedDiffers(o, after.get(o.path))).map((o) => o.path),
                ...failures.map((f) => f.path)
              ])
            ]
          }
          return { inconsistentFiles, failedFiles, redoneFiles: redone.size, redoneApiCalls, passes }
        })
      )
      stats = yield* writer.stats
      recovery = {
        failedCommits: stats.failedCommits,
        lostTransitions: stats.lostTransitions,
        ...repaired,
        seconds: seconds / 1000
      }
    }
    const api = yield* (yield* UploadApi.UploadApi).stats
    return {
      api,
      outcomes: [...outcomes.values()],
      failures,
      maxInFlight: first.maxInFlight,
      strategy,
      ledger: stats.ledger,
      byEvent: stats.byEvent,
      recovery
    }
  })
