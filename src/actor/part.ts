/**
 * What a trial's actors are given and give back, wherever they run: in the
 * run's own process (`experiment.ts`) or on runners (an `Executor`).
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { LatencyProfile } from "../api/profiles.ts"
import { ApiStats } from "../api/uploadApi.ts"
import type { ClockMode } from "../clock/apiClock.ts"
import { Events, IllegalTransition, Machine } from "../lifecycle/fsm.ts"
import type { RunLabels } from "../metrics/recorder.ts"
import type { Samples } from "../metrics/samples.ts"
import type { BatchOptions } from "../mitigations/define.ts"
import { type ClusterTrial as ClusterTrialSchema, Recovery, StrategyNames } from "../results/schema.ts"
import { OccConflict, StoreError } from "../store/errors.ts"
import type { ScenarioName } from "./scenario.ts"
import type { StrategyLayer } from "./strategy.ts"

/** A file's actor, as it ended: what the run keeps of it (and what a runner sends back). */
export const FileOutcome = Schema.Struct({
  path: Schema.String,
  /** The FSM as the actor last knew it: with a write-behind writer, possibly ahead of the database. */
  machine: Machine,
  /** Transitions whose write returned success to this actor. */
  persisted: Schema.Number,
  /** The version the actor found stored when it hydrated (0 for a fresh file; more for one taken up where another left it). */
  startVersion: Schema.Number,
  /** Those transitions' events, in order (what the storage floor replays). */
  events: Schema.Array(Schema.Literal(...Events)),
  apiCalls: Schema.Number,
  busyEvents: Schema.Number,
  busyWaitMs: Schema.Number
})
export type FileOutcome = typeof FileOutcome.Type

/** What a file's actor can fail with. */
export const ActorError = Schema.Union(IllegalTransition, OccConflict, StoreError)
export type ActorError = typeof ActorError.Type

/** A file whose actor failed, and how. */
export const FileFailure = Schema.Struct({ path: Schema.String, error: ActorError })
export type FileFailure = typeof FileFailure.Type

/** Told after every finished file: files done, files in the batch, time since the batch started (run clock). */
export type FileProgress = (done: number, total: number, elapsedMs: number) => Effect.Effect<void>

/** Who ran a trial's files on runners: its engine, each runner's files, the runners lost. */
export type ClusterTrial = typeof ClusterTrialSchema.Type

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
   * Set to let the run's runners (an `Executor`: `--workers`, `--runners`) share its files,
   * when the run has more than one and the concurrency allows; without it
   * (or without runners) the actors run in this process.
   */
  readonly parts?: PartsSpec
}

/**
 * What the actors of a trial measured as a whole, wherever they ran: the
 * part a runner sends back (`cluster/protocol.ts`), and, with the samples,
 * the part of the run's own process.
 */
export const PartFields = Schema.Struct({
  elapsedMs: Schema.Number,
  /** Simulated time the warp skipped (0 in real time). */
  skippedMs: Schema.Number,
  /** Each file's last outcome (after recovery, if it was redone). */
  outcomes: Schema.Array(FileOutcome),
  /** Failures no recovery repaired. */
  failures: Schema.Array(FileFailure),
  maxInFlight: Schema.Number,
  strategy: StrategyNames,
  /** Transitions committed per file, as the writer saw them commit. */
  ledger: Schema.ReadonlyMap({ key: Schema.String, value: Schema.Number }),
  /** Transitions committed per event. */
  byEvent: Schema.ReadonlyMap({ key: Schema.Literal(...Events), value: Schema.Number }),
  recovery: Schema.NullOr(Recovery),
  /** What the simulated API answered, recovery included. */
  api: ApiStats
})

/** What the actors' part of a run gives back (`runActors`), in the run's process or merged from its runners'. */
export interface ActorsPart extends Schema.Schema.Type<typeof PartFields> {
  /** One sample per file from the first pass (a recovery pass's are not mixed in), in columns. */
  readonly samples: Samples
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

