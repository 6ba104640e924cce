/** The stopping rule of `--target-ci`, on synthetic trials: no run, no clock. */
import { describe, expect, it } from "@effect/vitest"
import { halfWidthShare, stopReason } from "../../src/metrics/stopping.ts"

const rule = { target: 0.05, maxTrials: 8 }

describe("the stopping rule", () => {
  it("stops on the interval when every side's median is pinned within the target", () => {
    const tight = [1.0, 1.01, 0.99, 1.0, 1.02]
    expect(halfWidthShare(tight, 42)).toBeLessThanOrEqual(0.05)
    expect(stopReason([tight, tight.map((x) => x / 2)], rule, 42)).toBe("interval")
  })

  it("goes on while one side is wide, and stops at the cap", () => {
    const tight = [1.0, 1.01, 0.99, 1.0, 1.02]
    const wide = [1.0, 1.6, 0.7, 1.3, 0.9]
    expect(halfWidthShare(wide, 42)).toBeGreaterThan(0.05)
    expect(stopReason([tight, wide], rule, 42)).toBeNull()
    const capped = [...wide, 1.4, 0.8, 1.2]
    expect(capped).toHaveLength(rule.maxTrials)
    expect(stopReason([[...tight, 1.0, 1.0, 1.0], capped], rule, 42)).toBe("cap")
  })

  it("is the same for the same trials and seed, and has no interval around a zero median", () => {
    const xs = [1.0, 1.2, 0.9, 1.1]
    expect(halfWidthShare(xs, 7)).toBe(halfWidthShare(xs, 7))
    expect(halfWidthShare([0, 0, 0], 7)).toBe(Infinity)
    expect(stopReason([[0, 0, 0]], { target: 1, maxTrials: 3 }, 7)).toBe("cap")
  })
})
