/**
 * Every verdict of a run, from its measured runs and comparisons alone: the
 * bottleneck, the thresholds, scaling, integrity over all runs, the gate
 * path and the VLID-06 gate. Pure: no service, no clock, no file.
 */
import type { Bottleneck, Comparisons, Contrast, Gate, ProfileScaling, RunResult, ThresholdResult } from "../results/schema.ts"
import { bottleneckOf, primaryRun } from "./bottleneck.ts"
import { gateOf, sc1, sc2, sc3 } from "./gate.ts"
import { scalingOf } from "./scaling.ts"
import { evaluateThresholds } from "./thresholds.ts"

export interface Limits {
  readonly zeroSeconds: number
  readonly realisticSeconds: number
  /** Files per configuration: Threshold 2's floor is files × calls × delay / concurrency. */
  readonly files: number
}

export interface Analysis {
  readonly bottleneck: Bottleneck | null
  readonly thresholds: ReadonlyArray<ThresholdResult>
  readonly scaling: ReadonlyArray<ProfileScaling>
  readonly integrity: { readonly ok: boolean; readonly failedRuns: ReadonlyArray<string> }
  readonly gate: Gate
}

const label = (r: RunResult) => `c=${r.concurrency} ${r.profile} ${r.mitigation}`

export const analyze = (
  runs: ReadonlyArray<RunResult>,
  comparisons: Comparisons | null,
  limits: Limits,
  contrast: Contrast | null = null
): Analysis => {
  const primary = primaryRun(runs)
  const bottleneck = primary === undefined ? null : bottleneckOf(primary)
  const thresholds = evaluateThresholds(runs, limits, limits.files)
  // The path is decided by the baseline at c=10 zero: measured alongside the
  // first comparison, or in the matrix when no comparison ran.
  const threshold1 = thresholds.find((t) => t.name === "Threshold 1")
  const matrixBaseline = runs.find((r) => r.profile === threshold1?.profile && r.concurrency === threshold1.concurrency)
  const baselineT1 = comparisons?.steps[0]?.before.elapsedSeconds ??
    (matrixBaseline?.mitigation === "baseline" ? matrixBaseline.elapsedSeconds : null)
  const path = baselineT1 === null ? null : baselineT1 <= limits.zeroSeconds ? "A" : "B"
  const failedRuns = [
    ...runs.filter((r) => !r.integrity.ok).map(label),
    ...(comparisons?.steps ?? []).flatMap((st) =>
      [st.before, st.after].filter((r) => !r.integrity.ok).map((r) => `comparison ${label(r)}`)
    ),
    ...(contrast === null || contrast.run.integrity.ok ? [] : [`contrast ${contrast.driver} ${label(contrast.run)}`])
  ]
  return {
    bottleneck,
    thresholds,
    scaling: scalingOf(runs),
    integrity: { ok: failedRuns.length === 0, failedRuns },
    gate: gateOf(
      {
        SC1: sc1(primary),
        SC2: sc2(bottleneck ?? undefined, comparisons?.steps ?? []),
        SC3: sc3(thresholds, comparisons, path)
      },
      path
    )
  }
}
