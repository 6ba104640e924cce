/**
 * The VLID-06 verdict from its three criteria:
 * - SC1 throughput measured: transitions/s, elapsed and P95 of a run whose
 *   integrity held.
 * - SC2 bottleneck named with evidence AND at least one mitigation measured
 *   before/after. No mitigation is measured yet, so SC2 is NOT_EVALUATED.
 * - SC3 thresholds defined and met.
 * The gate is FAIL if any criterion failed, INCOMPLETE if any was not
 * evaluated, PASS only when all three passed.
 */
import type { Bottleneck } from "./bottleneck.ts"
import type { RunResult } from "./run.ts"
import type { ThresholdResult } from "./thresholds.ts"

export type CriterionVerdict = "PASS" | "FAIL" | "NOT_EVALUATED"
export type GateVerdict = "PASS" | "FAIL" | "INCOMPLETE"

export interface Criterion {
  readonly verdict: CriterionVerdict
  readonly evidence: string
}

export interface Gate {
  readonly verdict: GateVerdict
  readonly criteria: { readonly SC1: Criterion; readonly SC2: Criterion; readonly SC3: Criterion }
}

const ms = (x: number) => `${x.toFixed(3)} ms`
const s = (x: number) => `${x.toFixed(3)} s`

const describeRun = (r: RunResult) =>
  `c=${r.concurrency} ${r.profile}: ${r.transitions} transitions in ${s(r.elapsedSeconds)} = ` +
  `${r.transitionsPerSecond.toFixed(0)} transitions/s, fsm_net P95 ${ms(r.segments.fsm_net_ms.p95)}, ` +
  `total_wall P95 ${ms(r.segments.total_wall_ms.p95)}`

export const sc1 = (primary: RunResult | undefined): Criterion =>
  primary === undefined
    ? { verdict: "NOT_EVALUATED", evidence: "no run measured" }
    : primary.integrity.ok
    ? { verdict: "PASS", evidence: describeRun(primary) }
    : { verdict: "FAIL", evidence: `${describeRun(primary)}; integrity check failed` }

export const sc2 = (bottleneck: Bottleneck | undefined): Criterion => ({
  verdict: "NOT_EVALUATED",
  evidence: (bottleneck === undefined
    ? "no bottleneck: no run measured"
    : `bottleneck at c=${bottleneck.run.concurrency} ${bottleneck.run.profile}: ${bottleneck.byP95.segment} ` +
      `(P95 ${ms(bottleneck.byP95.p95)}); by share of fsm_net time: ${bottleneck.byShare.segment} ` +
      `(${(bottleneck.byShare.share * 100).toFixed(1)}%)`) +
    "; no mitigation measured before/after in this run"
})

export const sc3 = (thresholds: ReadonlyArray<ThresholdResult>): Criterion => {
  const evidence = thresholds
    .map((t) =>
      t.measuredSeconds === null
        ? `${t.name} (${t.profile}, c=${t.concurrency}, ≤ ${t.limitSeconds} s): not run`
        : `${t.name} (${t.profile}, c=${t.concurrency}): ${s(t.measuredSeconds)} against ≤ ${t.limitSeconds} s, ` +
          `${t.verdict}${t.note === null ? "" : ` (${t.note})`}`
    )
    .join("; ")
  const verdict: CriterionVerdict = thresholds.some((t) => t.verdict === "FAIL")
    ? "FAIL"
    : thresholds.some((t) => t.verdict === "NOT_RUN")
    ? "NOT_EVALUATED"
    : "PASS"
  return { verdict, evidence }
}

export const gateOf = (criteria: Gate["criteria"]): Gate => {
  const all = [criteria.SC1, criteria.SC2, criteria.SC3]
  const verdict: GateVerdict = all.some((c) => c.verdict === "FAIL")
    ? "FAIL"
    : all.some((c) => c.verdict === "NOT_EVALUATED")
    ? "INCOMPLETE"
    : "PASS"
  return { verdict, criteria }
}
