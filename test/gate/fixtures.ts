/** Synthetic run results for the gate's pure analyses. */
import type { RunResult, SegmentStats } from "../../src/gate/run.ts"
import { type SegmentName, SegmentNames } from "../../src/metrics/segments.ts"

const flat = (v: number): SegmentStats => ({ p50: v, p95: v, p99: v, mean: v, min: v, max: v })

export const fakeRun = (input: {
  readonly concurrency: number
  readonly profile: string
  readonly elapsedSeconds?: number
  readonly delaySeconds?: number
  readonly p95?: Partial<Record<SegmentName, number>>
  readonly totals?: Partial<Record<SegmentName, number>>
  readonly integrityOk?: boolean
}): RunResult => {
  const segments = Object.fromEntries(SegmentNames.map((s) => [s, flat(input.p95?.[s] ?? 0.01)])) as Record<
    SegmentName,
    SegmentStats
  >
  const totals = Object.fromEntries(SegmentNames.map((s) => [s, input.totals?.[s] ?? 1])) as Record<SegmentName, number>
  const elapsedSeconds = input.elapsedSeconds ?? 1
  const interval = (x: number) => [x, x] as const
  return {
    concurrency: input.concurrency,
    profile: input.profile,
    delaySeconds: input.delaySeconds ?? (input.profile === "zero" ? 0 : 2),
    mitigation: "baseline",
    strategy: { connections: "per-file", guard: "db-read", writer: "commit-each" },
    elapsedSeconds,
    filesPerSecond: 818 / elapsedSeconds,
    transitions: 2454,
    transitionsPerSecond: 2454 / elapsedSeconds,
    indexed: 818,
    maxInFlight: input.concurrency,
    segments,
    segmentTotalsMs: totals,
    accounting: { fileSeconds: elapsedSeconds * input.concurrency, meanInFlight: input.concurrency },
    wal: { bytesStart: 0, bytes: 4096, checkpoints: 0, busy: 0, busyWaitMs: 0, busyShareOfDb: 0, seedRatio: 0.1, verdict: "CLEAN" },
    integrity: {
      ok: input.integrityOk ?? true,
      files: 818,
      indexed: 818,
      finalStates: { untracked: 0, uploading: 0, processing: 0, indexed: 818, failed: 0 },
      transitions: 2454,
      problems: input.integrityOk === false ? ["x: version 2, expected 3"] : [],
      problemCount: input.integrityOk === false ? 1 : 0
    },
    recovery: null,
    clock: input.profile === "zero" ? "real" : "simulated",
    skippedSeconds: 0,
    api: { calls: 1636, failures: 0, timeouts: 0, rateLimited: 0 },
    transitionsByEvent: {
      start_upload: 818,
      complete_upload: 818,
      complete_processing: 818,
      fail_upload: 0,
      fail_processing: 0,
      reset: 0,
      retry: 0,
      fail_reset: 0
    },
    trials: 1,
    warmup: 0,
    ci: {
      elapsedSeconds: interval(elapsedSeconds),
      segments: Object.fromEntries(
        SegmentNames.map((s) => [s, { p50: interval(segments[s].p50), p95: interval(segments[s].p95), p99: interval(segments[s].p99) }])
      ) as RunResult["ci"]["segments"]
    },
    trialResults: [{
      elapsedSeconds,
      segments,
      wal: { bytes: 4096, busy: 0, verdict: "CLEAN" },
      integrityOk: input.integrityOk ?? true,
      recovery: null
    }]
  }
}
