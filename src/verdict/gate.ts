/**
 * The VLID-06 verdict from its three criteria:
 * - SC1 throughput measured: transitions/s, elapsed and P95 of a run whose
 *   integrity held.
 * - SC2 bottleneck named with evidence AND at least one mitigation measured
 *   before/after (with trials), its comparison in the mitigation file.
 * - SC3 thresholds defined and met. On path B (the baseline failed Threshold
 *   1) Threshold 1 is met by the first ladder step that meets it, named; if
 *   none does, it fails after all of them.
 * The gate is FAIL if any criterion failed, INCOMPLETE if any was not
 * evaluated, PASS only when all three passed.
 */
import type {
  Bottleneck,
  Comparisons,
  Criterion,
  CriterionVerdict,
  Gate,
  GateVerdict,
  RunResult,
  Step,
  ThresholdResult
} from "../results/schema.ts"

const ms = (x: number) => `${x.toFixed(3)} ms`
const s = (x: number) => `${x.toFixed(3)} s`

const describeRun = (r: RunResult) =>
  `c=${r.concurrency} ${r.profile} ${r.mitigation}: ${r.transitions} transitions in ${s(r.elapsedSeconds)} ` +
  `(median of ${r.trials}) = ${r.transitionsPerSecond.toFixed(0)} transitions/s, fsm_net P95 ${ms(r.segments.fsm_net_ms.p95)}, ` +
  `total_wall P95 ${ms(r.segments.total_wall_ms.p95)}`

export const sc1 = (primary: RunResult | undefined): Criterion =>
  primary === undefined
    ? { verdict: "NOT_EVALUATED", evidence: "no run measured" }
    : primary.integrity.ok
    ? { verdict: "PASS", evidence: describeRun(primary) }
    : { verdict: "FAIL", evidence: `${describeRun(primary)}; integrity check failed` }

const describeStep = (step: Step, bottleneck: Bottleneck | undefined): string => {
  const elapsed = step.rows.find((r) => r.metric === "elapsed")
  const leaf = bottleneck === undefined ? undefined : step.rows.find((r) => r.metric === bottleneck.byP95.segment)
  const part = (label: string, row: typeof elapsed, unit: string) =>
    row === undefined
      ? ""
      : `${label} ${row.before.toFixed(3)} → ${row.after.toFixed(3)} ${unit} (ratio ${row.ratio?.toFixed(3) ?? "-"}` +
        `${row.ci === null ? "" : ` [${row.ci[0].toFixed(3)}, ${row.ci[1].toFixed(3)}]`}, ${row.verdict})`
  return [
    `${step.mitigation} vs baseline at c=${step.after.concurrency} ${step.after.profile}, ${step.after.trials} trials each`,
    part("elapsed", elapsed, "s"),
    leaf === undefined ? "" : part(`${leaf.metric} P95`, leaf, "ms")
  ].filter((x) => x !== "").join(": ")
}

export const sc2 = (bottleneck: Bottleneck | undefined, steps: ReadonlyArray<Step>): Criterion => {
  const named = bottleneck === undefined
    ? "no bottleneck: no run measured"
    : `bottleneck at c=${bottleneck.run.concurrency} ${bottleneck.run.profile}: ${bottleneck.byP95.segment} ` +
      `(P95 ${ms(bottleneck.byP95.p95)}); by share of fsm_net time: ${bottleneck.byShare.segment} ` +
      `(${(bottleneck.byShare.share * 100).toFixed(1)}%)`
  if (bottleneck === undefined || steps.length === 0) {
    return { verdict: "NOT_EVALUATED", evidence: `${named}; no mitigation measured before/after` }
  }
  return {
    verdict: "PASS",
    evidence: `${named}; ${steps.map((st) => describeStep(st, bottleneck)).join("; ")}; ` +
      "before/after per segment in the mitigation file"
  }
}

const describeThreshold = (t: ThresholdResult) =>
  t.measuredSeconds === null
    ? `${t.name} (${t.profile}, c=${t.concurrency}, ≤ ${t.limitSeconds} s): not run`
    : `${t.name} (${t.profile}, c=${t.concurrency}): ${s(t.measuredSeconds)}${
      t.clock === "simulated" ? " (simulated time)" : ""
    } against ≤ ${t.limitSeconds} s, ` +
      `${t.verdict}${t.note === null ? "" : ` (${t.note})`}`

/**
 * SC3 from the matrix's thresholds, except that on path B Threshold 1 is
 * judged by the ladder: met by its first successful step, failed if none.
 */
export const sc3 = (thresholds: ReadonlyArray<ThresholdResult>, ladder: Comparisons | null, path: "A" | "B" | null): Criterion => {
  const judged = thresholds.map((t) => {
    if (path !== "B" || t.name !== "Threshold 1" || ladder === null) return { verdict: t.verdict, text: describeThreshold(t) }
    const success = ladder.steps.find((st) => st.mitigation === ladder.firstSuccess)
    return success === undefined
      ? {
        verdict: "FAIL" as const,
        text: `${describeThreshold(t)}; no mitigation met it either: ` +
          ladder.steps.map((st) => `${st.mitigation} ${s(st.after.elapsedSeconds)}`).join(", ")
      }
      : {
        verdict: "PASS" as const,
        text: `${describeThreshold(t)} at baseline; met with ${success.mitigation}: ${s(success.after.elapsedSeconds)} ` +
          `(median of ${success.after.trials}) ≤ ${t.limitSeconds} s`
      }
  })
  const verdict: CriterionVerdict = judged.some((j) => j.verdict === "FAIL")
    ? "FAIL"
    : judged.some((j) => j.verdict === "NOT_RUN")
    ? "NOT_EVALUATED"
    : "PASS"
  return { verdict, evidence: judged.map((j) => j.text).join("; ") }
}

export const gateOf = (criteria: Gate["criteria"], path: Gate["path"]): Gate => {
  const all = [criteria.SC1, criteria.SC2, criteria.SC3]
  const verdict: GateVerdict = all.some((c) => c.verdict === "FAIL")
    ? "FAIL"
    : all.some((c) => c.verdict === "NOT_EVALUATED")
    ? "INCOMPLETE"
    : "PASS"
  return { verdict, path, criteria }
}
