/**
 * The answer a user came for, from the measured runs and comparisons alone:
 * what persisting every transition costs per file and how much of the
 * realistic batch is not API waiting, which leaf of a file's time is largest
 * at each concurrency, and the mitigations ranked by what they did to
 * elapsed time. Pure.
 */
import type { Answer, Comparisons, Contrast, RunResult, ThresholdResult } from "../results/schema.ts"
import { bottleneckOf, PRIMARY } from "./bottleneck.ts"
import { THRESHOLD_CONCURRENCY } from "./thresholds.ts"
import { round } from "../metrics/stats.ts"

export const answerOf = (
  input: {
    readonly runs: ReadonlyArray<RunResult>
    readonly comparisons: Comparisons | null
    readonly driver: string
    /** The evaluated thresholds: Threshold 2's run and floor are the realistic batch the answer prices. */
    readonly thresholds: ReadonlyArray<ThresholdResult>
    /** Another driver's baseline at the comparison configuration, if one was measured. */
    readonly contrast?: Contrast | null
    /** The run's driver and its contrast, as their definitions describe them. */
    readonly drivers?: NonNullable<Answer["drivers"]>
  }
): Answer => {
  const at = (profile: string) => input.runs.find((r) => r.profile === profile && r.concurrency === THRESHOLD_CONCURRENCY)
  const realistic = at("realistic")
  const persistenceRun = realistic ?? at(PRIMARY.profile) ?? null
  const floorSeconds = realistic === undefined
    ? null
    : input.thresholds.find((t) => t.profile === "realistic" && t.concurrency === THRESHOLD_CONCURRENCY)?.floorSeconds ?? null
  const steps = input.comparisons?.steps ?? []
  const ranked = steps.map((step) => {
    const elapsed = step.rows.find((r) => r.metric === "elapsed")
    return {
      set: step.mitigation,
      elapsedRatio: elapsed?.ratio ?? null,
      ci: elapsed?.ci ?? null,
      verdict: elapsed?.verdict ?? "n/a"
    } as const
  })
  return {
    driver: input.driver,
    persistenceMsPerFile: persistenceRun === null
      ? null
      : round(persistenceRun.segments.connect_ms.mean + persistenceRun.segments.db_total_ms.mean, 3),
    persistenceRun: persistenceRun === null ? null : { concurrency: persistenceRun.concurrency, profile: persistenceRun.profile },
    persistenceShare: realistic === undefined || floorSeconds === null || realistic.elapsedSeconds <= 0
      ? null
      : round((realistic.elapsedSeconds - floorSeconds) / realistic.elapsedSeconds, 6),
    floor: realistic === undefined || floorSeconds === null
      ? null
      : { elapsedSeconds: realistic.elapsedSeconds, floorSeconds, clock: realistic.clock },
    bottleneck: input.runs
      .filter((r) => r.profile === PRIMARY.profile)
      .sort((a, b) => a.concurrency - b.concurrency)
      .map((r) => {
        const b = bottleneckOf(r)
        return { concurrency: r.concurrency, leaf: b.byShare.segment, share: b.byShare.share }
      }),
    mitigations: [...ranked].sort((a, b) => (a.elapsedRatio ?? Infinity) - (b.elapsedRatio ?? Infinity)),
    contrast: contrastOf(input.contrast ?? null),
    ...(input.drivers === undefined ? {} : { drivers: input.drivers })
  }
}

const contrastOf = (contrast: Contrast | null): Answer["contrast"] => {
  if (contrast === null) return null
  const { run } = contrast
  const leading = bottleneckOf(run).byShare
  return {
    driver: contrast.driver,
    concurrency: run.concurrency,
    profile: run.profile,
    elapsedSeconds: run.elapsedSeconds,
    lockWaitP95Ms: run.segments.lock_wait_ms.p95,
    leaf: leading.segment,
    share: leading.share
  }
}
