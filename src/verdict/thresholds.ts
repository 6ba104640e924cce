/**
 * The seed's two thresholds, both at concurrency 10:
 * - Threshold 1: zero profile, all files done in at most 300 s (default).
 * - Threshold 2: realistic profile, at most 21,600 s (6 h, default).
 * A threshold whose run was not part of the matrix is NOT_RUN, never PASS.
 */
import { CALLS_PER_FILE } from "../api/profiles.ts"
import type { RunResult, ThresholdResult } from "../results/schema.ts"
import { round } from "../metrics/stats.ts"

export const THRESHOLD_CONCURRENCY = 10
/** The per-call delay Threshold 2 is defined at in the seed. */
export const SEED_REALISTIC_DELAY_SECONDS = 2.0

export const evaluateThresholds = (
  runs: ReadonlyArray<RunResult>,
  limits: { readonly zeroSeconds: number; readonly realisticSeconds: number },
  files: number
): ReadonlyArray<ThresholdResult> => {
  const one = (name: string, profile: string, limitSeconds: number): ThresholdResult => {
    const run = runs.find((r) => r.profile === profile && r.concurrency === THRESHOLD_CONCURRENCY)
    if (run === undefined) {
      return {
        name,
        profile,
        concurrency: THRESHOLD_CONCURRENCY,
        limitSeconds,
        measuredSeconds: null,
        clock: null,
        marginSeconds: null,
        delaySeconds: null,
        floorSeconds: null,
        verdict: "NOT_RUN",
        note: `no ${profile} run at concurrency ${THRESHOLD_CONCURRENCY} in this matrix`
      }
    }
    const floorSeconds = profile === "realistic"
      ? (files * CALLS_PER_FILE * run.delaySeconds) / THRESHOLD_CONCURRENCY
      : null
    return {
      name,
      profile,
      concurrency: THRESHOLD_CONCURRENCY,
      limitSeconds,
      measuredSeconds: run.elapsedSeconds,
      clock: run.clock,
      marginSeconds: round(limitSeconds - run.elapsedSeconds, 3),
      delaySeconds: run.delaySeconds,
      floorSeconds,
      // "All files done": a file that gave up waiting for the write lock was not.
      verdict: run.elapsedSeconds <= limitSeconds && run.integrity.lockTimeouts === 0 ? "PASS" : "FAIL",
      note: [
        ...(run.integrity.lockTimeouts > 0
          ? [`${run.integrity.lockTimeouts} of ${run.integrity.files} files gave up waiting for the write lock`]
          : []),
        ...(profile === "realistic" && run.delaySeconds !== SEED_REALISTIC_DELAY_SECONDS
          ? [`measured at ${run.delaySeconds} s per API call, not the original plan's ${SEED_REALISTIC_DELAY_SECONDS} s`]
          : [])
      ].join("; ") || null
    }
  }
  return [
    one("Threshold 1", "zero", limits.zeroSeconds),
    one("Threshold 2", "realistic", limits.realisticSeconds)
  ]
}
