/**
 * The bottleneck, chosen among the leaves of the fsm_net_ms breakdown (never a
 * segment that contains another), by two rules reported side by side:
 * - the seed's: the leaf with the highest P95;
 * - share: the leaf with the largest part of all files' fsm_net time.
 * They can disagree (a rare long tail against a steady cost); the report says so.
 */
import { fsmNetLeaves } from "../metrics/segments.ts"
import type { Bottleneck, LeafFigure, RunResult } from "../results/schema.ts"
import { round } from "../metrics/stats.ts"

const maxBy = (items: ReadonlyArray<LeafFigure>, key: (l: LeafFigure) => number): LeafFigure =>
  items.reduce((best, item) => (key(item) > key(best) ? item : best))

export const bottleneckOf = (run: RunResult): Bottleneck => {
  const net = run.segmentTotalsMs.fsm_net_ms
  const leaves = fsmNetLeaves.map((segment) => ({
    segment,
    p95: run.segments[segment].p95,
    share: net > 0 ? round(run.segmentTotalsMs[segment] / net, 4) : 0
  }))
  const byP95 = maxBy(leaves, (l) => l.p95)
  const byShare = maxBy(leaves, (l) => l.share)
  return {
    run: { concurrency: run.concurrency, profile: run.profile },
    byP95,
    byShare,
    agree: byP95.segment === byShare.segment,
    leaves: [...leaves].sort((a, b) => b.p95 - a.p95)
  }
}

/** The seed's reference configuration: concurrency 10, zero profile. */
export const PRIMARY = { concurrency: 10, profile: "zero" } as const

/**
 * The run the bottleneck is named from: c=10 zero when measured; otherwise the
 * zero-profile run closest to c=10 (the report names the run used), else the
 * closest of any profile.
 */
export const primaryRun = (runs: ReadonlyArray<RunResult>): RunResult | undefined => {
  const distance = (r: RunResult) =>
    Math.abs(Math.log(r.concurrency / PRIMARY.concurrency)) + (r.profile === PRIMARY.profile ? 0 : 100)
  return runs.reduce<RunResult | undefined>((best, r) => (best === undefined || distance(r) < distance(best) ? r : best), undefined)
}
