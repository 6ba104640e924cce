/**
 * The seed's mitigation ladder: guards → connection reuse → batched writes,
 * each step including the ones before it, every step measured against the
 * baseline at the comparison configuration (c=10, zero profile). In `first`
 * mode the walk stops at the first step that meets Threshold 1; in `full`
 * mode every step is measured and the first success is still named.
 */
import { Effect } from "effect"
import type { Mitigation } from "../actor/strategy.ts"
import type { ComparisonRow } from "./compare.ts"
import type { RunResult } from "./run.ts"

export type LadderMode = "first" | "full"

export interface Step {
  readonly mitigation: string
  readonly mitigations: ReadonlyArray<Mitigation>
  readonly before: RunResult
  readonly after: RunResult
  readonly rows: ReadonlyArray<ComparisonRow>
  readonly meetsThreshold1: boolean
}

export interface LadderResult {
  readonly mode: LadderMode
  readonly steps: ReadonlyArray<Step>
  /** The first step that met Threshold 1, if any. */
  readonly firstSuccess: string | null
}

export const walkLadder = <E, R>(
  ladder: ReadonlyArray<ReadonlyArray<Mitigation>>,
  mode: LadderMode,
  measure: (mitigations: ReadonlyArray<Mitigation>) => Effect.Effect<Step, E, R>
): Effect.Effect<LadderResult, E, R> =>
  Effect.gen(function*() {
    const steps: Array<Step> = []
    let firstSuccess: string | null = null
    for (const mitigations of ladder) {
      const step = yield* measure(mitigations)
      steps.push(step)
      if (step.meetsThreshold1 && firstSuccess === null) {
        firstSuccess = step.mitigation
        if (mode === "first") break
      }
    }
    return { mode, steps, firstSuccess }
  })
