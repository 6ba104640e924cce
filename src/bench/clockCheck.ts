/**
 * The time warp's fidelity, measured: one configuration run with the real
 * clock and with the warp, trials alternating, and the relative difference
 * (simulated − real) / real of elapsed time and of every segment's P95.
 */
import * as Effect from "effect/Effect"
import { type LatencyProfile, realistic } from "../api/profiles.ts"
import type { ClockMode } from "../clock/apiClock.ts"
import { SegmentNames } from "../metrics/segments.ts"
import { round } from "../metrics/stats.ts"
import type { RunResult, Trial } from "../results/schema.ts"
import type { Driver } from "../store/driver.ts"
import type { StoreError } from "../store/errors.ts"
import type { ForeignDatabase } from "../store/store.ts"
import { combineTrials } from "./aggregate.ts"
import { Progress } from "./progress.ts"
import { builtInRegistry, MitigationRegistry } from "../mitigations/registry.ts"
import { describeTrial, measureTrial } from "./trial.ts"

export interface ClockCheckSpec {
  readonly dbPath: string
  readonly files: number
  readonly concurrency: number
  readonly delaySeconds: number
  readonly trials: number
  readonly seed: number
  /** Largest relative difference of elapsed time that counts as agreement. */
  readonly tolerance: number
  /** Keys this check's Effect Metric series apart from any other run's. */
  readonly createdAt: string
}

export interface FidelityRow {
  readonly metric: string
  readonly real: number
  readonly simulated: number
  /** (simulated − real) / real. */
  readonly relativeDifference: number
}

export interface ClockCheckResult {
  readonly real: RunResult
  readonly simulated: RunResult
  readonly rows: ReadonlyArray<FidelityRow>
  readonly elapsedAgrees: boolean
}

const relative = (real: number, simulated: number) => (real > 0 ? round((simulated - real) / real, 5) : 0)

export const runClockCheck = (
  spec: ClockCheckSpec
): Effect.Effect<ClockCheckResult, StoreError | ForeignDatabase, Driver | Progress> =>
  Effect.gen(function*() {
    const progress = yield* Progress
    const profile: LatencyProfile = realistic(spec.delaySeconds)
    const byMode: Record<ClockMode, Array<Trial>> = { real: [], warp: [] }
    for (let i = 0; i < spec.trials; i++) {
      for (const clock of ["real", "warp"] as const) {
        const { trial: t } = yield* measureTrial({
          dbPath: spec.dbPath,
          files: spec.files,
          concurrency: spec.concurrency,
          profile,
          mitigations: [],
          batch: { batchSize: 1, failBatch: null },
          seed: spec.seed,
          clock,
          retry: { maxAttempts: 1, baseSeconds: 1 },
          scenario: "happy",
          runLabel: `${spec.createdAt}#clock-check-${clock}-${i}`
        }).pipe(Effect.provideService(MitigationRegistry, builtInRegistry))
        yield* progress.line(describeTrial(`[trial ${i + 1}/${spec.trials} ${clock}]`, t))
        byMode[clock].push(t)
      }
    }
    const options = { warmup: 0, seed: spec.seed }
    const real = yield* combineTrials(byMode.real, options)
    const simulated = yield* combineTrials(byMode.warp, options)
    const rows: Array<FidelityRow> = [
      { metric: "elapsed (s)", real: real.elapsedSeconds, simulated: simulated.elapsedSeconds, relativeDifference: relative(real.elapsedSeconds, simulated.elapsedSeconds) },
      ...SegmentNames.map((s) => ({
        metric: `${s} P95`,
        real: real.segments[s].p95,
        simulated: simulated.segments[s].p95,
        relativeDifference: relative(real.segments[s].p95, simulated.segments[s].p95)
      }))
    ]
    return {
      real,
      simulated,
      rows,
      elapsedAgrees: Math.abs(rows[0]?.relativeDifference ?? Infinity) <= spec.tolerance
    }
  })
