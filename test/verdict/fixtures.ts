import { builtInRegistry, catalogOf } from "../../src/mitigations/registry.ts"
/** Synthetic run results for the gate's pure analyses. */
import { histogramOf } from "../../src/metrics/histogram.ts"
import { type SegmentName, SegmentNames } from "../../src/metrics/segments.ts"
import { type ResultsDocument, type RunResult, SCHEMA_ID, SCHEMA_VERSION, type SegmentStats } from "../../src/results/schema.ts"
import { analyze } from "../../src/verdict/analyze.ts"
import { answerOf } from "../../src/verdict/answer.ts"
import { evaluateThresholds } from "../../src/verdict/thresholds.ts"

const flat = (v: number): SegmentStats => ({ p50: v, p95: v, p99: v, mean: v, min: v, max: v })

export const fakeRun = (input: {
  readonly concurrency: number
  readonly profile: string
  readonly elapsedSeconds?: number
  readonly delaySeconds?: number
  readonly p95?: Partial<Record<SegmentName, number>>
  readonly totals?: Partial<Record<SegmentName, number>>
  readonly integrityOk?: boolean
  readonly lockTimeouts?: number
  /** Each trial's elapsed seconds, its segments' figures all equal to it (one trial at elapsedSeconds by default). */
  readonly trialElapsed?: ReadonlyArray<number>
  /** The storage floor's seconds (none by default). */
  readonly floorSeconds?: number
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
    floor: input.floorSeconds === undefined
      ? null
      : { elapsedSeconds: input.floorSeconds, runs: [input.floorSeconds], transitions: 2454 },
    floorUnavailable: input.floorSeconds === undefined ? "not measured" : null,
    efficiency: input.floorSeconds === undefined ? null : input.floorSeconds / elapsedSeconds,
    filesPerSecond: 818 / elapsedSeconds,
    transitions: 2454,
    transitionsPerSecond: 2454 / elapsedSeconds,
    indexed: 818,
    maxInFlight: input.concurrency,
    workers: 1,
    segments,
    segmentTotalsMs: totals,
    // 818 files, all at the segment's figure.
    distribution: Object.fromEntries(SegmentNames.map((s) => [s, histogramOf(Array(818).fill(segments[s].p50))])) as RunResult["distribution"],
    accounting: { fileSeconds: elapsedSeconds * input.concurrency, meanInFlight: input.concurrency },
    wal: { bytesStart: 0, bytes: 4096, checkpoints: 0, busy: 0, busyWaitMs: 0, busyShareOfDb: 0, seedRatio: 0.1, verdict: "CLEAN" },
    integrity: {
      ok: input.integrityOk ?? true,
      files: 818,
      indexed: 818,
      finalStates: { untracked: 0, uploading: 0, processing: 0, indexed: 818, failed: 0 },
      transitions: 2454,
      problems: input.integrityOk === false ? ["x: version 2, expected 3"] : [],
      problemCount: input.integrityOk === false ? 1 : 0,
      lockTimeouts: input.lockTimeouts ?? 0,
      occConflicts: 0
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
    trialResults: trialsOf(input.trialElapsed ?? [elapsedSeconds], segments, input.integrityOk ?? true)
  }
}

const bySegment = (stats: SegmentStats) => Object.fromEntries(SegmentNames.map((s) => [s, stats])) as Record<SegmentName, SegmentStats>

/** Trials with the given elapsed times: the first keeps the run's segments, the others have all figures equal to their elapsed. */
const trialsOf = (elapsed: ReadonlyArray<number>, segments: Record<SegmentName, SegmentStats>, integrityOk: boolean): RunResult["trialResults"] => {
  const trial = (e: number, segs: Record<SegmentName, SegmentStats>) => ({
    elapsedSeconds: e,
    segments: segs,
    wal: { bytes: 4096, busy: 0, verdict: "CLEAN" as const },
    integrityOk,
    recovery: null
  })
  const [first = 1, ...rest] = elapsed
  return elapsed.length === 1 ? [trial(first, segments)] : [trial(first, bySegment(flat(first))), ...rest.map((e) => trial(e, bySegment(flat(e))))]
}

/** The original plan's limits, for 818 files. */
export const LIMITS = { zeroSeconds: 300, realisticSeconds: 21_600, files: 818 } as const

/** A whole result document around `runs`, its verdicts analysed from them. */
export const fakeDocument = (runs: ReadonlyArray<RunResult>, overrides: { readonly cpuModel?: string } = {}): ResultsDocument => ({
  $schema: SCHEMA_ID,
  schemaVersion: SCHEMA_VERSION,
  createdAt: "2026-11-26T00:00:00.000Z",
  partial: false,
  catalog: catalogOf(builtInRegistry),
  environment: {
    runtime: "node",
    runtimeVersion: "v20",
    storeVersion: "SQLite 3.0.0",
    driver: "better-sqlite3",
    cpuModel: overrides.cpuModel ?? "cpu",
    cpuCount: 2,
    memoryGiB: 1,
    os: "test",
    gitCommit: "unknown",
    gitDirty: null
  },
  config: {
    files: 818,
    concurrency: [...new Set(runs.map((r) => r.concurrency))],
    profiles: [...new Set(runs.map((r) => r.profile))],
    profileDefinitions: [],
    realisticDelaySeconds: 2,
    quick: false,
    seed: 42,
    db: "temporary",
    thresholdZeroSeconds: 300,
    thresholdRealisticSeconds: 21_600,
    store: "sqlite",
    poolSize: 1,
    workers: 1,
    driver: "better-sqlite3",
    contrast: null,
    mitigations: [],
    mitigation: "baseline",
    ladder: "off",
    trials: runs[0]?.trials ?? 1,
    otherTrials: runs[0]?.trials ?? 1,
    warmup: 0,
    noise: 0.05,
    batchSize: 10,
    failBatch: null,
    clock: "warp",
    scenario: "happy",
    maxAttempts: 3,
    retryBaseSeconds: 1,
    transitionsPerFile: 3,
    apiCallsPerFile: 2,
    comparisonAt: { concurrency: 10, profile: "zero" }
  },
  answer: answerOf({ runs, comparisons: null, driver: "better-sqlite3", thresholds: evaluateThresholds(runs, LIMITS, LIMITS.files) }),
  runs,
  comparisons: null,
  contrast: null,
  ...analyze(runs, null, LIMITS),
  files: { results: "results-x.json", mitigation: "results-mitigation-x.json", summary: "summary-x.md", report: "report-x.html" }
})
