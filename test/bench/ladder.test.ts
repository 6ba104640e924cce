import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { BUILT_IN_LADDER as LADDER, mitigationLabel } from "../../src/mitigations/registry.ts"
import { walkLadder } from "../../src/bench/ladder.ts"
import type { Step } from "../../src/results/schema.ts"
import { compareSeries } from "../../src/verdict/compare.ts"
import { fakeRun } from "../verdict/fixtures.ts"

/** A measure function with canned elapsed times per step, recording which steps it was asked for. */
const canned = (elapsed: ReadonlyArray<number>, limit: number) => {
  const asked: Array<string> = []
  const measure = (mitigations: ReadonlyArray<string>) =>
    Effect.sync((): Step => {
      const label = mitigationLabel(mitigations)
      asked.push(label)
      const before = fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 10 })
      const after = fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: elapsed[asked.length - 1] ?? NaN })
      return {
        mitigation: label,
        mitigations,
        before,
        after,
        rows: compareSeries(before, after, { noise: 0.05, seed: 1 }),
        meetsThreshold1: after.elapsedSeconds <= limit
      }
    })
  return { asked, measure }
}

describe("the mitigation ladder", () => {
  it("follows the original plan's order, each step including the previous ones", () => {
    expect(LADDER.map(mitigationLabel)).toEqual([
      "in-memory-guards",
      "in-memory-guards+shared-connection",
      "in-memory-guards+shared-connection+batched-writes"
    ])
  })

  it.effect("stops at the first step that meets Threshold 1", () =>
    Effect.gen(function*() {
      const { asked, measure } = canned([12, 4, 1], 5)
      const result = yield* walkLadder(LADDER, "first", measure)
      expect(asked).toEqual(["in-memory-guards", "in-memory-guards+shared-connection"])
      expect(result.firstSuccess).toBe("in-memory-guards+shared-connection")
      expect(result.steps).toHaveLength(2)
    }))

  it.effect("walks all three when none succeeds, and names no success", () =>
    Effect.gen(function*() {
      const { asked, measure } = canned([12, 9, 7], 5)
      const result = yield* walkLadder(LADDER, "first", measure)
      expect(asked).toHaveLength(3)
      expect(result.firstSuccess).toBeNull()
    }))

  it.effect("in full mode measures every step but still names the first success", () =>
    Effect.gen(function*() {
      const { asked, measure } = canned([1, 0.5, 0.2], 5)
      const result = yield* walkLadder(LADDER, "full", measure)
      expect(asked).toHaveLength(3)
      expect(result.firstSuccess).toBe("in-memory-guards")
    }))
})
