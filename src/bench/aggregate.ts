/**
 * Results of one configuration: each trial turned into exact statistics
 * (`Trial`), and the trials of a configuration combined (`RunResult`): every
 * figure is the median over trials, with 95% bootstrap intervals for elapsed
 * time and the segment percentiles, and each trial kept for later
 * comparisons.
 */
import * as Effect from "effect/Effect"
import type { Measurement } from "../actor/experiment.ts"
import { type Event, Events } from "../lifecycle/fsm.ts"
import { type Interval, median, medianInterval } from "../metrics/bootstrap.ts"
import { bySegment, type SegmentName } from "../metrics/segments.ts"
import { histogramOf, mergeHistograms } from "../metrics/histogram.ts"
import { type Numbers, round, summarize, sum } from "../metrics/stats.ts"
import { seededRandom } from "../metrics/random.ts"
import { stabilityOf } from "../metrics/stability.ts"
import type { FloorOutcome } from "../floor/measure.ts"
import type { Recovery, RunResult, SegmentStats, Trial, TrialSummary } from "../results/schema.ts"
import { checkIntegrity, type Expectation } from "../verdict/integrity.ts"
import { walReport } from "../verdict/wal.ts"

const stats = (samples: Numbers): SegmentStats => {
  const s = summarize(samples)
  return { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), mean: round(s.mean), min: round(s.min), max: round(s.max) }
}

const byEvent = (f: (event: Event) => number): { readonly [E in Event]: number } =>
  Object.fromEntries(Events.map((e) => [e, f(e)])) as { readonly [E in Event]: number }

export const toTrial = (input: {
  readonly concurrency: number
  readonly profile: string
  readonly delaySeconds: number
  /** Whether the run ever waits on the API clock (latency, rate limit or retry backoff). */
  readonly waits: boolean
  readonly mitigation: string
  readonly files: number
  readonly expect: Expectation
  readonly measurement: Measurement
}): Trial => {
  const m = input.measurement
  const column = (segment: SegmentName) => m.samples.columns[segment]
  const segments = bySegment((name) => stats(column(name)))
  const segmentTotalsMs = bySegment((name) => round(sum(column(name)), 3))
  const distribution = bySegment((name) => histogramOf(column(name)))
  const integrity = checkIntegrity({
    expectedFiles: input.files,
    stored: m.stored,
    ledger: m.ledger,
    failures: m.failures,
    expect: input.expect
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
    filesPerSecond: round(integrity.indexed / elapsedSeconds, 2),
    transitions: integrity.transitions,
    transitionsPerSecond: round(integrity.transitions / elapsedSeconds, 2),
    indexed: integrity.indexed,
    maxInFlight: m.maxInFlight,
    workers: m.workers,
    ...(m.cluster === undefined ? {} : { cluster: m.cluster }),
    segments,
    segmentTotalsMs,
    distribution,
    accounting: {
      fileSeconds: round(fileSeconds, 6),
      meanInFlight: elapsedSeconds > 0 ? round(fileSeconds / elapsedSeconds, 2) : 0
    },
    wal: walReport({
      bytesStart: m.walBytesStart,
      bytesEnd: m.walBytesEnd,
      checkpoints: m.walCheckpoints,
      busy: sum(m.outcomes.map((o) => o.busyEvents)),
      busyWaitMs: round(sum(m.outcomes.map((o) => o.busyWaitMs)), 3),
      dbTotalMs: sum(column("db_total_ms")),
      lockWaitP95: segments.lock_wait_ms.p95,
      dbTotalP95: segments.db_total_ms.p95
    }),
    integrity,
    recovery: m.recovery,
    clock: m.clock === "warp" && input.waits ? "simulated" : "real",
    skippedSeconds: round(m.skippedMs / 1000, 6),
    api: { calls: m.api.calls, failures: m.api.failures, timeouts: m.api.timeouts, rateLimited: m.api.rateLimited },
    transitionsByEvent: byEvent((e) => m.byEvent.get(e) ?? 0)
  }
}

const summaryOf = (t: Trial): TrialSummary => ({
  elapsedSeconds: t.elapsedSeconds,
  segments: t.segments,
  wal: { bytes: t.wal.bytes, busy: t.wal.busy, verdict: t.wal.verdict },
  integrityOk: t.integrity.ok,
  recovery: t.recovery,
  ...(t.cluster === undefined ? {} : { cluster: t.cluster })
})

/** A trial that lost a runner: its elapsed time is the run's process's own, not comparable with a clean trial's. */
const lostRunner = (t: Trial) => (t.cluster?.lost.length ?? 0) > 0

/** The runners of a configuration's trials: files summed per runner, every runner lost in any of them. */
const clusterOf = (trials: ReadonlyArray<Trial>): Trial["cluster"] => {
  const withCluster = trials.flatMap((t) => (t.cluster === undefined ? [] : [t.cluster]))
  const [first] = withCluster
  if (first === undefined) return undefined
  const files = new Map<string, number>()
  for (const c of withCluster) for (const r of c.runners) files.set(r.address, (files.get(r.address) ?? 0) + r.files)
  return {
    engine: first.engine,
    runners: [...files].map(([address, n]) => ({ address, files: n })),
    lost: [...new Set(withCluster.flatMap((c) => c.lost))]
  }
}

const medianOf = <A>(items: ReadonlyArray<A>, f: (a: A) => number, digits = 4) => round(median(items.map(f)), digits)

/**
 * Combine a configuration's trials: medians everywhere; the WAL verdict from
 * the trials' summed busy time; integrity ok only if every trial's was.
 */
const aggregate = (
  trials: readonly [Trial, ...Array<Trial>],
  options: { readonly warmup: number; readonly seed: number },
  outcome: FloorOutcome
): RunResult => {
  const floor = outcome.floor
  const [first] = trials
  const random = seededRandom(options.seed)
  const medianStats = (segment: SegmentName): SegmentStats => ({
    p50: medianOf(trials, (t) => t.segments[segment].p50),
    p95: medianOf(trials, (t) => t.segments[segment].p95),
    p99: medianOf(trials, (t) => t.segments[segment].p99),
    mean: medianOf(trials, (t) => t.segments[segment].mean),
    min: medianOf(trials, (t) => t.segments[segment].min),
    max: medianOf(trials, (t) => t.segments[segment].max)
  })
  const segments = bySegment(medianStats)
  const roundInterval = ([lo, hi]: Interval, digits = 4): Interval => [round(lo, digits), round(hi, digits)]
  const failing = trials.find((t) => !t.integrity.ok)
  const recoveries = trials.map((t) => t.recovery).filter((r): r is Recovery => r !== null)
  const recoveryMedian = (f: (r: Recovery) => number) => medianOf(recoveries, f, 3)
  // Elapsed figures from the clean trials, while there is one: a trial that lost a runner is flagged, never mixed in.
  const clean = trials.filter((t) => !lostRunner(t))
  const timed = clean.length > 0 ? clean : trials
  const ownSeconds = median(timed.map((t) => t.elapsedSeconds - t.skippedSeconds))
  const cluster = clusterOf(trials)
  return {
    ...first,
    floor,
    floorUnavailable: outcome.unavailable,
    efficiency: floor === null || ownSeconds <= 0 ? null : round(floor.elapsedSeconds / ownSeconds, 4),
    elapsedSeconds: medianOf(timed, (t) => t.elapsedSeconds, 6),
    filesPerSecond: medianOf(timed, (t) => t.filesPerSecond, 2),
    transitions: Math.min(...trials.map((t) => t.transitions)),
    transitionsPerSecond: medianOf(timed, (t) => t.transitionsPerSecond, 2),
    indexed: Math.min(...trials.map((t) => t.indexed)),
    maxInFlight: Math.max(...trials.map((t) => t.maxInFlight)),
    workers: Math.max(...trials.map((t) => t.workers)),
    ...(cluster === undefined ? {} : { cluster }),
    skippedSeconds: medianOf(trials, (t) => t.skippedSeconds, 6),
    api: {
      calls: medianOf(trials, (t) => t.api.calls, 1),
      failures: medianOf(trials, (t) => t.api.failures, 1),
      timeouts: medianOf(trials, (t) => t.api.timeouts, 1),
      rateLimited: medianOf(trials, (t) => t.api.rateLimited, 1)
    },
    transitionsByEvent: byEvent((e) => medianOf(trials, (t) => t.transitionsByEvent[e], 1)),
    segments,
    segmentTotalsMs: bySegment((s) => medianOf(trials, (t) => t.segmentTotalsMs[s], 3)),
    distribution: bySegment((s) => mergeHistograms(trials.map((t) => t.distribution[s]))),
    accounting: {
      fileSeconds: medianOf(trials, (t) => t.accounting.fileSeconds, 6),
      meanInFlight: medianOf(trials, (t) => t.accounting.meanInFlight, 2)
    },
    wal: walReport({
      bytesStart: Math.max(...trials.map((t) => t.wal.bytesStart)),
      bytesEnd: Math.max(...trials.map((t) => t.wal.bytes)),
      checkpoints: trials.every((t) => t.wal.checkpoints !== null)
        ? medianOf(trials, (t) => t.wal.checkpoints ?? 0, 1)
        : null,
      busy: sum(trials.map((t) => t.wal.busy)),
      busyWaitMs: round(sum(trials.map((t) => t.wal.busyWaitMs)), 3),
      dbTotalMs: sum(trials.map((t) => t.segmentTotalsMs.db_total_ms)),
      lockWaitP95: segments.lock_wait_ms.p95,
      dbTotalP95: segments.db_total_ms.p95
    }),
    // The worst trial's: a failing one, else the one where most files gave up on the lock.
    integrity: failing?.integrity ??
      trials.reduce((worst, t) => (t.integrity.lockTimeouts > worst.integrity.lockTimeouts ? t : worst), first).integrity,
    recovery: recoveries.length === 0
      ? null
      : {
        failedCommits: recoveryMedian((r) => r.failedCommits),
        lostTransitions: recoveryMedian((r) => r.lostTransitions),
        inconsistentFiles: recoveryMedian((r) => r.inconsistentFiles),
        failedFiles: recoveryMedian((r) => r.failedFiles),
        redoneFiles: recoveryMedian((r) => r.redoneFiles),
        redoneApiCalls: recoveryMedian((r) => r.redoneApiCalls),
        passes: Math.max(...recoveries.map((r) => r.passes)),
        seconds: recoveryMedian((r) => r.seconds)
      },
    trials: trials.length,
    warmup: options.warmup,
    ci: {
      elapsedSeconds: roundInterval(medianInterval(trials.map((t) => t.elapsedSeconds), random), 6),
      segments: bySegment((s) => ({
        p50: roundInterval(medianInterval(trials.map((t) => t.segments[s].p50), random)),
        p95: roundInterval(medianInterval(trials.map((t) => t.segments[s].p95), random)),
        p99: roundInterval(medianInterval(trials.map((t) => t.segments[s].p99), random))
      }))
    },
    trialResults: [summaryOf(first), ...trials.slice(1).map(summaryOf)],
    stability: stabilityFigures(trials.map((t) => t.elapsedSeconds))
  }
}

/** A configuration's stability as the document keeps it. */
const stabilityFigures = (elapsed: ReadonlyArray<number>) => {
  const { cv, outliers, unstable } = stabilityOf(elapsed)
  return { cv: round(cv, 4), outliers: [...outliers], unstable }
}

const NOT_MEASURED: FloorOutcome = { floor: null, unavailable: "not measured" }

/**
 * The median of a configuration's trials (there is always at least one:
 * configs guarantee it), with its storage floor if one was measured.
 */
export const combineTrials = (
  trials: ReadonlyArray<Trial>,
  options: { readonly warmup: number; readonly seed: number },
  floor: FloorOutcome = NOT_MEASURED
): Effect.Effect<RunResult> => {
  const [first, ...rest] = trials
  return first === undefined
    ? Effect.dieMessage("a configuration measured with no trials")
    : Effect.succeed(aggregate([first, ...rest], options, floor))
}
