/**
 * The gate with the single writer on the ladder, run from a test: the typed
 * result document is asserted on as any value would be, and with the
 * package's matchers (`upload-fsm-bench/vitest`).
 */
import { describe, expect, it } from "vitest"
import { runBenchPromise } from "upload-fsm-bench"
import { benchMatchers } from "upload-fsm-bench/vitest"
import config from "./upload-fsm-bench.config.ts"

expect.extend(benchMatchers)

describe("the single writer", () => {
  it("passes a small gate, holds integrity, and is ranked with an efficiency", async () => {
    const doc = await runBenchPromise({
      config,
      files: 60,
      quick: true,
      concurrency: [1, 10, 50],
      trials: 3,
      warmup: 0,
      ladder: "full",
      contrast: "off"
    })
    expect(doc.integrity.ok).toBe(true)
    expect(doc).toPassGate()
    // Both ladder steps measured against the baseline; the single writer's step has a floor and an efficiency.
    const steps = doc.comparisons?.steps ?? []
    expect(steps.map((s) => s.mitigation)).toEqual(["in-memory-guards", "in-memory-guards+single-writer"])
    const mine = steps[1]
    expect(mine?.after.strategy.writer).toBe("single-writer")
    expect(mine?.after.floor).not.toBeNull()
    expect(mine?.after.efficiency).toBeGreaterThan(0)
    // Ranked in the answer, and recorded as the config's own.
    expect(doc.answer.mitigations.map((m) => m.set)).toContain("in-memory-guards+single-writer")
    expect(doc.catalog.find((c) => c.name === "single-writer")?.origin.kind).toBe("program")
    for (const run of doc.runs) expect(run.indexed).toBe(60)
  }, 120_000)
})
