/**
 * What a trial's actors are given and give back, wherever they run: in the
 * run's own process (`experiment.ts`) or on runners (an `Executor`).
 */
import type { LatencyProfile } from "../api/profiles.ts"
import type { ApiStats } from "../api/uploadApi.ts"
import type { ClockMode } from "../clock/apiClock.ts"
import type { Event } from "../lifecycle/fsm.ts"
import type { RunLabels } from "../metrics/recorder.ts"
import type { Samples } from "../metrics/samples.ts"
import type { BatchOptions } from "../mitigations/define.ts"
import type { ClusterTrial as ClusterTrialSchema, Recovery, StrategyNames } from "../results/schema.ts"
import type { FileOutcome } from "./fileActor.ts"
import type { FileFailure, FileProgress } from "./runner.ts"
import type { ScenarioName } from "./scenario.ts"
import type { StrategyLayer } from "./strategy.ts"

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

