import { describe, expect, it } from "@effect/vitest"
import { answerLines } from "../../src/report/answer.ts"
import type { Step } from "../../src/results/schema.ts"
import { describeDrivers } from "../../src/backends/all.ts"
import { answerOf } from "../../src/verdict/answer.ts"
import { evaluateThresholds } from "../../src/verdict/thresholds.ts"
import { compareSeries } from "../../src/verdict/compare.ts"
import { fakeDocument, fakeRun, LIMITS } from "./fixtures.ts"

const runs = [
  fakeRun({ concurrency: 10, profile: "zero", totals: { fsm_net_ms: 100, connect_ms: 40, write_ms: 30 } }),
  fakeRun({ concurrency: 50, profile: "zero", totals: { fsm_net_ms: 100, connect_ms: 20, write_ms: 50 } }),
  fakeRun({ concurrency: 10, profile: "realistic", elapsedSeconds: 330, delaySeconds: 2, p95: { connect_ms: 0.5, db_total_ms: 0.7 } })
]

const step = (mitigation: string, elapsed: ReadonlyArray<number>): Step => {
  const before = fakeRun({ concurrency: 10, profile: "zero", trialElapsed: [1, 1.02, 0.98, 1.01, 0.99] })
  const after = fakeRun({ concurrency: 10, profile: "zero", trialElapsed: elapsed })
  return { mitigation, mitigations: [], before, after, rows: compareSeries(before, after, { noise: 0.05, seed: 1 }), meetsThreshold1: true }
}

describe("the answer", () => {
  const comparisons = {
    mode: "full" as const,
    firstSuccess: "in-memory-guards",
    steps: [
      step("in-memory-guards", [0.99, 1.0, 1.01, 0.98, 1.02]),
      step("in-memory-guards+shared-connection", [0.5, 0.51, 0.49, 0.5, 0.52]),
      step("in-memory-guards+shared-connection+batched-writes", [0.3, 0.31, 0.29, 0.3, 0.3])
    ]
  }
  const answer = answerOf({ runs, comparisons, driver: "threaded", thresholds: evaluateThresholds(runs, LIMITS, 818) })

  it("prices persistence per file from the c=10 realistic run, and its share above the API floor", () => {
    // The fixture's means equal its P95s: connect 0.5 + db_total 0.7.
    expect(answer.persistenceMsPerFile).toBeCloseTo(1.2, 6)
    expect(answer.persistenceRun).toEqual({ concurrency: 10, profile: "realistic" })
    expect(answer.floor?.floorSeconds).toBeCloseTo(327.2, 6)
    expect(answer.persistenceShare).toBeCloseTo((330 - 327.2) / 330, 5)
  })

  it("names the largest leaf by share at each concurrency of the zero profile", () => {
    expect(answer.bottleneck).toEqual([
      { concurrency: 10, leaf: "connect_ms", share: 0.4 },
      { concurrency: 50, leaf: "write_ms", share: 0.5 }
    ])
  })

  it("ranks the mitigations by elapsed ratio, best first, with their intervals and verdicts", () => {
    expect(answer.mitigations.map((m) => m.set)).toEqual([
      "in-memory-guards+shared-connection+batched-writes",
      "in-memory-guards+shared-connection",
      "in-memory-guards"
    ])
    expect(answer.mitigations[0]?.elapsedRatio).toBeCloseTo(0.3, 2)
    expect(answer.mitigations.map((m) => m.verdict)).toEqual(["improved", "improved", "no significant change"])
    expect(answer.mitigations.every((m) => m.ci !== null)).toBe(true)
  })

  it("reads as at most five lines within 80 columns, the driver named", () => {
    const lines = answerLines({ ...fakeDocument(runs), comparisons, answer })
    expect(lines.length).toBeLessThanOrEqual(5)
    expect(lines.every((l) => l.length <= 80)).toBe(true)
    expect(lines[0]).toContain("API floor 327.2 s")
    expect(lines.join(" ")).toContain("guards+shared+batched 0.30")
    expect(lines.at(-1)).toContain("Driver: threaded")
  })

  it("gives a contrast driver's baseline in the same terms, and still reads as five lines at most", () => {
    const run = fakeRun({ concurrency: 10, profile: "zero", elapsedSeconds: 0.52, totals: { fsm_net_ms: 100, connect_ms: 60 } })
    const contrasted = answerOf({
      runs,
      comparisons,
      driver: "threaded",
      thresholds: evaluateThresholds(runs, LIMITS, 818),
      contrast: { driver: "better-sqlite3", run },
      drivers: describeDrivers(["threaded", "better-sqlite3"])
    })
    expect(contrasted.contrast).toMatchObject({
      driver: "better-sqlite3",
      concurrency: 10,
      profile: "zero",
      elapsedSeconds: 0.52,
      leaf: "connect_ms",
      share: 0.6
    })
    expect(answer.contrast).toBeNull()
    const lines = answerLines({ ...fakeDocument(runs), comparisons, answer: contrasted })
    expect(lines.length).toBeLessThanOrEqual(5)
    expect(lines.every((l) => l.length <= 80)).toBe(true)
    expect(lines.at(-1)).toBe("Driver: threaded (as production); inline better-sqlite3 at c=10 zero: 0.520 s")
    // Three steps, one within noise: grouped so that they fit two lines.
    expect(lines.join(" ")).toContain("within noise: guards 1.00")
  })

  it("says what was not measured instead of inventing it", () => {
    const bare = answerOf({ runs: [], comparisons: null, driver: "better-sqlite3", thresholds: evaluateThresholds([], LIMITS, 818) })
    expect(bare).toMatchObject({ persistenceMsPerFile: null, persistenceShare: null, floor: null, bottleneck: [], mitigations: [] })
    const lines = answerLines({ ...fakeDocument([]), answer: bare })
    expect(lines.join("\n")).toContain("none measured")
  })
})
