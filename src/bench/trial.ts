/** Measuring one trial of one configuration. */
import * as Effect from "effect/Effect"
import { runExperiment } from "../actor/experiment.ts"
import * as ScenarioLayer from "../actor/scenario.ts"
import type { ScenarioName } from "../actor/scenario.ts"
import type { Event } from "../lifecycle/fsm.ts"
import type { FileProgress } from "../actor/runner.ts"
import { canFail, hasDelay, type LatencyProfile, meanCallSeconds } from "../api/profiles.ts"
import type { ClockMode } from "../clock/apiClock.ts"
import type { BatchOptions } from "../mitigations/define.ts"
import { MitigationRegistry, mitigationLabel, strategy } from "../mitigations/registry.ts"
import type { Trial } from "../results/schema.ts"
import type { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import type { ForeignDatabase } from "../store/store.ts"
import { type Expectation, happyPath } from "../verdict/integrity.ts"
import { toTrial } from "./aggregate.ts"

export interface TrialSpec {
  readonly dbPath: string
  readonly files: number
  readonly concurrency: number
  readonly profile: LatencyProfile
  readonly mitigations: ReadonlyArray<string>
  readonly batch: BatchOptions
  /** Connections behind the shared-connection mitigation (1 when absent). */
  readonly poolSize?: number
  /** Share the files among the run's runners (`--workers`, `--runners`), if it has them. */
  readonly onRunners?: boolean
  readonly seed: number
  readonly clock: ClockMode
  /** Unique per trial: it keys the trial's Effect Metric series. */
  readonly runLabel: string
  readonly onFileDone?: FileProgress | null | undefined
  readonly retry: { readonly maxAttempts: number; readonly baseSeconds: number }
  readonly scenario: ScenarioName
}

/** Where files may end, given the profile and scenario (see verdict/integrity.ts). */
export const expectationOf = (spec: Pick<TrialSpec, "profile" | "retry" | "scenario" | "seed">): Expectation => {
  const mayFail = canFail(spec.profile) || spec.scenario === "reupload"
  const scenario = ScenarioLayer.make(spec.scenario, spec.seed)
  return mayFail
    ? {
      terminal: ["indexed", "failed"],
      exactVersion: null,
      maxAttempts: spec.retry.maxAttempts,
      secondRound: spec.scenario === "happy" ? null : (path) => scenario.afterIndexed(path) !== null
    }
    : happyPath(spec.retry.maxAttempts)
}

/** The transitions each file committed, by path, in order: what the configuration's storage floor replays; or why there is none. */
export type Replay = ReadonlyMap<string, ReadonlyArray<Event>> | { readonly unavailable: string }

export interface MeasuredTrial {
  readonly trial: Trial
  readonly replay: Replay
}

/**
 * A trial whose batch commit failed cannot be replayed: a redone file's
 * outcome holds only what its recovery pass did, from where the database
 * stood, and the transitions lost with the batch are in no file's order.
 */
const NO_REPLAY_AFTER_RECOVERY = "the trial lost a batch commit and redid files (--fail-batch): " +
  "the order of each file's committed transitions is not known, so the floor cannot replay them"

export const measureTrial = (
  spec: TrialSpec
): Effect.Effect<MeasuredTrial, StoreError | ForeignDatabase, Driver | MitigationRegistry> =>
  Effect.gen(function*() {
    const registry = yield* MitigationRegistry
    const mitigation = mitigationLabel(spec.mitigations)
    const measurement = yield* runExperiment({
      dbPath: spec.dbPath,
      files: spec.files,
      concurrency: spec.concurrency,
      profile: spec.profile,
      seed: spec.seed,
      strategy: strategy(registry, spec.mitigations, { dbPath: spec.dbPath, batch: spec.batch, poolSize: spec.poolSize ?? 1 }),
      clock: spec.clock,
      onFileDone: spec.onFileDone ?? undefined,
      retry: spec.retry,
      scenario: spec.scenario,
      labels: { run: spec.runLabel, profile: spec.profile.name, concurrency: String(spec.concurrency), mitigation },
      ...(spec.onRunners === true ? { parts: { mitigations: spec.mitigations, batch: spec.batch, poolSize: spec.poolSize ?? 1 } } : {})
    })
    const trial = toTrial({
      concurrency: spec.concurrency,
      profile: spec.profile.name,
      delaySeconds: meanCallSeconds(spec.profile),
      // Retry backoffs are API-clock waits too.
      waits: hasDelay(spec.profile) || expectationOf(spec).exactVersion === null,
      expect: expectationOf(spec),
      mitigation,
      files: spec.files,
      measurement
    })
    const replay: Replay = measurement.recovery !== null && measurement.recovery.failedCommits > 0
      ? { unavailable: NO_REPLAY_AFTER_RECOVERY }
      : new Map(measurement.outcomes.map((o) => [o.path, o.events]))
    return { trial, replay }
  })

export const describeTrial = (tag: string, t: Trial): string =>
  `${tag} c=${t.concurrency} ${t.profile} ${t.mitigation}: ${t.elapsedSeconds.toFixed(3)} s` +
  `${t.clock === "simulated" ? " (simulated)" : ""}, ${t.indexed}/${t.integrity.files} indexed` +
  `${t.integrity.lockTimeouts === 0 ? "" : `, ${t.integrity.lockTimeouts} gave up waiting for the write lock`}` +
  `${t.integrity.ok ? "" : ", INTEGRITY FAILED"}`
