/**
 * How fsm_net P95 grows with concurrency, per profile: the slope of a
 * least-squares line through (ln concurrency, ln P95). Slope 1 means P95 grows
 * in proportion to concurrency.
 * - sub-linear: slope < 0.85;  linear: 0.85 to 1.15;  super-linear: > 1.15.
 * Also whether the bottleneck leaf at the highest concurrency differs from
 * the one at c=10, and how lock wait P95 changed between them.
 */
import type { Growth, ProfileScaling, RunResult } from "../results/schema.ts"
import { bottleneckOf, PRIMARY } from "./bottleneck.ts"
import { round } from "../metrics/stats.ts"

export const LINEAR_BAND = 0.15

export const slopeOf = (points: ReadonlyArray<readonly [number, number]>): number | null => {
  const xs = points.map(([x]) => Math.log(x))
  const ys = points.map(([, y]) => Math.log(y))
  const n = points.length
  if (n < 2 || ys.some((y) => !Number.isFinite(y))) return null
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my)
    sxx += ((xs[i] ?? 0) - mx) ** 2
  }
  return sxx === 0 ? null : sxy / sxx
}

export const growthOf = (slope: number): Growth =>
  slope < 1 - LINEAR_BAND ? "sub-linear" : slope > 1 + LINEAR_BAND ? "super-linear" : "linear"

export const scalingOf = (runs: ReadonlyArray<RunResult>): ReadonlyArray<ProfileScaling> => {
  const profiles = [...new Set(runs.map((r) => r.profile))]
  return profiles.map((profile) => {
    const mine = runs.filter((r) => r.profile === profile).sort((a, b) => a.concurrency - b.concurrency)
    const points = mine.map((r) => ({ concurrency: r.concurrency, fsmNetP95: r.segments.fsm_net_ms.p95 }))
    const slope = slopeOf(points.map((p) => [p.concurrency, p.fsmNetP95] as const))
    const reference = mine.find((r) => r.concurrency === PRIMARY.concurrency)
    const highest = mine[mine.length - 1]
    const bottleneckChange = reference !== undefined && highest !== undefined && highest.concurrency > reference.concurrency
      ? (() => {
        const from = bottleneckOf(reference).byP95.segment
        const to = bottleneckOf(highest).byP95.segment
        const before = reference.segments.lock_wait_ms.p95
        return {
          from: { concurrency: reference.concurrency, segment: from },
          to: { concurrency: highest.concurrency, segment: to },
          changed: from !== to,
          lockWaitP95Ratio: before > 0 ? round(highest.segments.lock_wait_ms.p95 / before, 2) : null
        }
      })()
      : null
    return {
      profile,
      points,
      slope: slope === null ? null : round(slope, 3),
      growth: slope === null ? null : growthOf(slope),
      bottleneckChange
    }
  })
}
