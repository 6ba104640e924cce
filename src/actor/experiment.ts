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
import type { LatencyProfile } from "../api/profiles.ts"
import type { Event } from "../lifecycle/fsm.ts"
import * as UploadApi from "../api/uploadApi.ts"
import * as Retry from "./retry.ts"
import * as ScenarioLayer from "./scenario.ts"
import type { ScenarioName } from "./scenario.ts"
import type { ApiStats } from "../api/uploadApi.ts"
import { makeRecorder, type RunLabels } from "../metrics/recorder.ts"
import type { Samples } from "../metrics/samples.ts"
import { timed } from "../metrics/timing.ts"
import { walBytes, walSalt } from "../sqlite/dbFile.ts"
import { Driver } from "../drivers/driver.ts"
import type { StoreError } from "../store/errors.ts"
import { type ForeignDatabase, migrate, readAll, seedFiles, type StoredFile, resetLog } from "../store/store.ts"
import { storeError } from "../store/transaction.ts"
import type { FileOutcome } from "./fileActor.ts"
import { type FileFailure, type FileProgress, runBatch } from "./runner.ts"
import type { Recovery, StrategyNames } from "../results/schema.ts"
import { type StrategyLayer, strategyNames } from "./strategy.ts"
import { Writer } from "./writer.ts"
import * as Option from "effect/Option"
import type { BatchOptions } from "../mitigations/define.ts"
import { Cluster, type ClusterTrial } from "../cluster/client.ts"

export interface ExperimentSpec {
  readonly dbPath: string
  readonly files: number
  readonly concurrency: number
  readonly profile: LatencyProfile
  readonly seed: number
  readonly strategy: StrategyLayer
  readonly labels: RunLabels
  /** How API waits pass: in real time, or skipped by the time warp. */
  readonly clock: ClockMode
  /** Upload attempts per file and the backoff base of the retry policy. */
  readonly retry: { readonly maxAttempts: number; readonly baseSeconds: number }
  readonly scenario: ScenarioName
  /** Live progress of the first pass, if anyone watches. */
  readonly onFileDone?: FileProgress | undefined
  /**
   * Finish the batch the database holds instead of seeding a new one: every
   * row's file is re-hydrated and driven on from where its row says (a
   * terminal one only read). `files` and `seed` then only label the run.
   */
  readonly resume?: boolean
  /**
   * Set to let the run's runners (`Cluster`, `--workers`) share its files,
   * when the run has more than one and the concurrency allows; without it
   * (or without runners) the actors run in this process.
   */
  readonly parts?: PartsSpec
}

/** What the actors' part of a run gives back (`runActors`), in the run's process or merged from its runners'. */
export interface ActorsPart {
  readonly elapsedMs: number
  /** Simulated time the warp skipped (0 in real time). */
  readonly skippedMs: number
  /** One sample per file from the first pass (a recovery pass's are not mixed in), in columns. */
  readonly samples: Samples
  /** Each file's last outcome (after recovery, if it was redone). */
  readonly outcomes: ReadonlyArray<FileOutcome>
  /** Failures no recovery repaired. */
  readonly failures: ReadonlyArray<FileFailure>
  readonly maxInFlight: number
  readonly strategy: StrategyNames
  /** Transitions committed per file, as the writer saw them commit. */
  readonly ledger: ReadonlyMap<string, number>
  /** Transitions committed per event. */
  readonly byEvent: ReadonlyMap<Event, number>
  readonly recovery: Recovery | null
  /** What the simulated API answered, recovery included. */
  readonly api: ApiStats
  /** The processes the actors ran in: 1, the run's own, or the runners that shared the files. */
  readonly workers: number
  /** On the cluster: its engine, who ran the files, and any runner lost. */
  readonly cluster?: ClusterTrial
}

/** How a run's strategy is built, for runners to build it again (a Layer cannot cross a process). */
export interface PartsSpec {
  readonly mitigations: ReadonlyArray<string>
  readonly batch: BatchOptions
  readonly poolSize: number
}

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
      const walBytesStart = yield* walBytes(spec.dbPath)
      const saltBefore = yield* walSalt(spec.dbPath)
      const recorder = makeRecorder(spec.labels)
      const cluster = spec.parts === undefined ? Option.none() : yield* Effect.serviceOption(Cluster)
      const part = Option.isSome(cluster) && spec.parts !== undefined && cluster.value.runners.length > 1 && spec.concurrency >= cluster.value.runners.length
        ? yield* cluster.value.runTrial(spec, spec.parts, paths, recorder)
        : yield* runActors(spec, spec.strategy, paths, recorder, observer)
      const walBytesEnd = yield* walBytes(spec.dbPath)
      const saltAfter = yield* walSalt(spec.dbPath)
      const walCheckpoints = saltBefore === null || saltAfter === null ? null : (saltAfter - saltBefore + 2 ** 32) % 2 ** 32
      const stored = yield* readAll(observer)
      // The part's samples are the recorder's (a runner's are recorded here as they come back).
      return { ...part, walBytesStart, walBytesEnd, walCheckpoints, stored, clock: spec.clock } satisfies Measurement
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
