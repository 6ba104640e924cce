import { describe, expect, it } from "@effect/vitest"
import { consoleReport } from "../../src/report/console.ts"
import type { Step } from "../../src/results/schema.ts"
import { answerOf } from "../../src/verdict/answer.ts"
import { evaluateThresholds } from "../../src/verdict/thresholds.ts"
import { compareSeries } from "../../src/verdict/compare.ts"
import { fakeDocument, fakeRun, LIMITS } from "../verdict/fixtures.ts"

const runs = [1, 10, 50].flatMap((c) => [fakeRun({ concurrency: c, profile: "zero" }), fakeRun({ concurrency: c, profile: "realistic", elapsedSeconds: 330 })])
const step = (mitigation: string, ratio: number): Step => {
  const before = fakeRun({ concurrency: 10, profile: "zero", trialElapsed: [1, 1.02, 0.98] })
  const after = fakeRun({ concurrency: 10, profile: "zero", trialElapsed: [ratio, ratio * 1.02, ratio * 0.98] })
  return { mitigation, mitigations: [], before, after, rows: compareSeries(before, after, { noise: 0.05, seed: 1 }), meetsThreshold1: true }
}
const comparisons = {
  mode: "full" as const,
  firstSuccess: "in-memory-guards",
  steps: [step("in-memory-guards", 0.97), step("in-memory-guards+shared-connection", 0.5)]
}
const doc = {
  ...fakeDocument(runs),
  comparisons,
  answer: answerOf({ runs, comparisons, driver: "better-sqlite3", thresholds: evaluateThresholds(runs, LIMITS, 818) })
}

describe("the terminal report", () => {
  it("fits 80 columns by default: every line, tables included, with the answer first", () => {
    const lines = consoleReport(doc, { wide: false, color: false }).split("\n")
    const over = lines.filter((l) => [...l].length > 80)
    expect(over).toEqual([])
    expect(lines[0]).toMatch(/^Persistence /)
    expect(lines.some((l) => /^conc\s+profile\s+elapsed s\s+trans\/s/.test(l))).toBe(true)
  })

  it("--wide gives the full tables, and colour appears only when asked", () => {
    const wide = consoleReport(doc, { wide: true, color: false })
    expect(wide).toMatch(/conc\s+profile\s+elapsed s\s+95% CI\s+files\/s/)
    expect(wide).toMatch(/metric\s+before\s+after\s+delta\s+delta %/)
    expect(wide).not.toMatch(/\u001b\[/)
    const coloured = consoleReport(doc, { wide: false, color: true })
    expect(coloured).toContain("\u001b[32mPASS\u001b[0m")
  })
})
