/**
 * The seed's mitigation ladder walked: each step measured against the
 * baseline at the comparison configuration (c=10, zero profile). In `first`
 * mode the walk stops at the first step that meets Threshold 1; in `full`
 * mode every step is measured and the first success is still named.
 */
import * as Effect from "effect/Effect"
import type { Comparisons, LadderMode, Step } from "../results/schema.ts"

export const walkLadder = <E, R>(
  ladder: ReadonlyArray<ReadonlyArray<string>>,
  mode: LadderMode,
  measure: (mitigations: ReadonlyArray<string>) => Effect.Effect<Step, E, R>
): Effect.Effect<Comparisons, E, R> =>
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
