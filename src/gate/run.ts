/** A measured configuration turned into its result: exact statistics, WAL verdict, integrity. */
import type { Measurement } from "../actor/experiment.ts"
import type { ProfileName } from "../api/profiles.ts"
import { type SegmentName, SegmentNames } from "../metrics/segments.ts"
import { summarize, sum, type Summary } from "../metrics/stats.ts"
import { checkIntegrity, type Integrity } from "./integrity.ts"
import { type WalReport, walReport } from "./wal.ts"

export type SegmentStats = Omit<Summary, "count">

export interface RunResult {
  readonly concurrency: number
  readonly profile: ProfileName
  /** Seconds per API call in this run (0 for zero). */
  readonly delaySeconds: number
  readonly mitigation: string
  readonly strategy: { readonly connections: string; readonly guard: string; readonly writer: string }
  readonly elapsedSeconds: number
  readonly filesPerSecond: number
  /** Persisted transitions (3 per file on the happy path). */
  readonly transitions: number
  readonly transitionsPerSecond: number
  readonly indexed: number
  readonly maxInFlight: number
  readonly segments: { readonly [S in SegmentName]: SegmentStats }
  /** Sum over files of each segment, in ms: what the share-of-time bottleneck rule reads. */
  readonly segmentTotalsMs: { readonly [S in SegmentName]: number }
  /**
   * Files' summed wall time, and that over elapsed: how many files were in
   * flight on average. It is below the concurrency when the runner refills a
   * slot late: in a cooperative runtime the runner fiber starts the next actor
   * only after the other fibers' current steps.
   */
  readonly accounting: {
    readonly fileSeconds: number
    readonly meanInFlight: number
  }
  readonly wal: WalReport
  readonly integrity: Integrity
}

const round = (x: number, digits = 4): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

const stats = (samples: ReadonlyArray<number>): SegmentStats => {
  const { count: _count, ...s } = summarize(samples)
  return {
    p50: round(s.p50),
    p95: round(s.p95),
    p99: round(s.p99),
    mean: round(s.mean),
    min: round(s.min),
    max: round(s.max)
  }
}

const bySegment = <A>(f: (segment: SegmentName) => A): { readonly [S in SegmentName]: A } => {
  const out: Partial<Record<SegmentName, A>> = {}
  for (const name of SegmentNames) out[name] = f(name)
  return out as { readonly [S in SegmentName]: A }
}

export const toRunResult = (input: {
  readonly concurrency: number
  readonly profile: ProfileName
  readonly delaySeconds: number
  readonly mitigation: string
  readonly files: number
  readonly measurement: Measurement
}): RunResult => {
  const m = input.measurement
  const column = (segment: SegmentName) => m.samples.map((s) => s[segment])
  const segments = bySegment((name) => stats(column(name)))
  const segmentTotalsMs = bySegment((name) => round(sum(column(name)), 3))
  const integrity = checkIntegrity({
    expectedFiles: input.files,
    stored: m.stored,
    outcomes: m.outcomes,
    failures: m.failures
  })
  const elapsedSeconds = m.elapsedMs / 1000
  const fileSeconds = sum(column("total_wall_ms")) / 1000
  return {
    concurrency: input.concurrency,
    profile: input.profile,
    delaySeconds: input.delaySeconds,
    mitigation: input.mitigation,
    strategy: m.strategy,
    elapsedSeconds: round(elapsedSeconds, 6),
    filesPerSecond: round(m.outcomes.length / elapsedSeconds, 2),
    transitions: integrity.transitions,
    transitionsPerSecond: round(integrity.transitions / elapsedSeconds, 2),
    indexed: integrity.indexed,
    maxInFlight: m.maxInFlight,
    segments,
    segmentTotalsMs,
    accounting: {
      fileSeconds: round(fileSeconds, 6),
      meanInFlight: elapsedSeconds > 0 ? round(fileSeconds / elapsedSeconds, 2) : 0
    },
    wal: walReport({
      bytesStart: m.walBytesStart,
      bytesEnd: m.walBytesEnd,
      busy: sum(m.outcomes.map((o) => o.busyEvents)),
      busyWaitMs: round(sum(m.outcomes.map((o) => o.busyWaitMs)), 3),
      dbTotalMs: sum(column("db_total_ms")),
      lockWaitP95: segments.lock_wait_ms.p95,
      dbTotalP95: segments.db_total_ms.p95
    }),
    integrity
  }
}
